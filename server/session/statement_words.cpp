#include "server/session/statement_words.h"

#include <cctype>

namespace dbvault::server::session {

std::vector<std::string> leading_words(std::string_view sql, std::size_t count) {
  std::vector<std::string> words;
  std::size_t pos = 0;
  while (words.size() < count && pos < sql.size()) {
    const char c = sql[pos];
    if (std::isspace(static_cast<unsigned char>(c)) != 0 || c == '(') {
      ++pos;
    } else if (sql.substr(pos, 2) == "--") {
      while (pos < sql.size() && sql[pos] != '\n') ++pos;
    } else if (sql.substr(pos, 2) == "/*") {
      const auto end = sql.find("*/", pos + 2);
      pos = end == std::string_view::npos ? sql.size() : end + 2;
    } else if (std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_') {
      std::string word;
      while (pos < sql.size() &&
             (std::isalnum(static_cast<unsigned char>(sql[pos])) != 0 || sql[pos] == '_')) {
        word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[pos++])));
      }
      words.push_back(std::move(word));
    } else {
      break;
    }
  }
  return words;
}

}  // namespace dbvault::server::session
