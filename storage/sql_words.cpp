#include "storage/sql_words.h"

#include <cctype>

namespace dbvault::storage {
namespace {

bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Skips white space and comments from `i`; returns the new position.
std::size_t skip_space(std::string_view s, std::size_t i) {
  while (i < s.size()) {
    if (std::isspace(static_cast<unsigned char>(s[i])) != 0) {
      ++i;
    } else if (s.compare(i, 2, "--") == 0) {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (s.compare(i, 2, "/*") == 0) {
      const auto end = s.find("*/", i + 2);
      i = end == std::string_view::npos ? s.size() : end + 2;
    } else {
      break;
    }
  }
  return i;
}

}  // namespace

std::vector<std::string> leading_words(std::string_view s, std::size_t max) {
  std::vector<std::string> words;
  std::size_t i = skip_space(s, 0);
  while (i < s.size() && words.size() < max) {
    const char c = s[i];
    std::string w;
    if (c == '"' || c == '`' || c == '[' || c == '\'') {
      const char close = c == '[' ? ']' : c;
      for (++i; i < s.size(); ++i) {
        if (s[i] == close) {
          if (close != ']' && i + 1 < s.size() && s[i + 1] == close) {
            w += close;
            ++i;
            continue;
          }
          ++i;
          break;
        }
        w += s[i];
      }
      if (c == '\'') w.assign(1, '\'');  // a string literal: its text does not matter
    } else if (word_char(c)) {
      while (i < s.size() && word_char(s[i])) {
        w += static_cast<char>(std::toupper(static_cast<unsigned char>(s[i])));
        ++i;
      }
    } else {
      w.push_back(c);
      ++i;
    }
    words.push_back(std::move(w));
    i = skip_space(s, i);
  }
  return words;
}

StatementShape statement_shape(std::string_view sql) {
  const auto w = leading_words(sql, 12);
  std::size_t i = 0;
  if (i < w.size() && w[i] == "EXPLAIN") ++i;
  if (i + 1 < w.size() && w[i] == "QUERY" && w[i + 1] == "PLAN") i += 2;
  StatementShape shape;
  if (i < w.size() && w[i] == "VACUUM") {
    shape.vacuum = true;
    // Only `VACUUM` and `VACUUM schema` stay inside the engine; anything longer is taken
    // for INTO (fail closed: the words are not parsed further).
    std::vector<std::string> rest;
    for (std::size_t j = i + 1; j < w.size(); ++j) {
      if (w[j] != ";") rest.push_back(w[j]);
    }
    shape.vacuum_into = rest.size() > 1 || (rest.size() == 1 && rest[0] == "INTO");
    if (!rest.empty() && rest[0] != "INTO") shape.vacuum_schema = fold_ascii(rest[0]);
  }
  if (i + 2 < w.size() && w[i] == "DELETE" && w[i + 1] == "FROM") {
    std::size_t j = i + 3;                        // after the (first part of the) name
    if (j + 1 < w.size() && w[j] == ".") j += 2;  // schema.table
    while (j < w.size() && w[j] == ";") ++j;
    shape.deletes_all = j == w.size();
  }
  if (i + 2 < w.size() && w[i] == "ALTER" && w[i + 1] == "TABLE") {
    std::size_t j = i + 3;                        // after the (first part of the) name
    if (j + 1 < w.size() && w[j] == ".") j += 2;  // schema.table
    shape.renames = j < w.size() && w[j] == "RENAME";
  }
  return shape;
}

std::string fold_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool creates_if_not_exists(std::string_view sql) {
  auto w = leading_words(sql, 7);
  if (w.size() > 1 && (w[1] == "TEMP" || w[1] == "TEMPORARY")) w.erase(w.begin() + 1);
  return w.size() >= 5 && w[0] == "CREATE" && w[1] == "TABLE" && w[2] == "IF" && w[3] == "NOT" &&
         w[4] == "EXISTS";
}

}  // namespace dbvault::storage
