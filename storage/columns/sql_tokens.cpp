#include "storage/columns/sql_tokens.h"

#include <algorithm>
#include <cctype>

#include "common/sqlstate.h"

namespace dbvault::storage::columns {
namespace {

bool word_char(unsigned char c) { return std::isalnum(c) || c == '_' || c == '$' || c >= 0x80; }

// Finds the end of a quoted run starting at `i` (the opening quote), doubling `close` escapes.
std::optional<std::size_t> quoted_end(std::string_view s, std::size_t i, char close) {
  for (std::size_t j = i + 1; j < s.size(); ++j) {
    if (s[j] != close) continue;
    if (close != ']' && j + 1 < s.size() && s[j + 1] == close) {
      ++j;
      continue;
    }
    return j + 1;
  }
  return std::nullopt;
}

std::string unquote(std::string_view q) {
  std::string out;
  const char close = q[0] == '[' ? ']' : q[0];
  for (std::size_t i = 1; i + 1 < q.size(); ++i) {
    out += q[i];
    if (q[i] == close && close != ']') ++i;
  }
  return out;
}

}  // namespace

Result<std::vector<Token>> tokenize(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  const auto bad = [] {
    return make_error(sqlstate::kSyntaxError, "unterminated literal, identifier or comment");
  };
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (std::isspace(c)) {
      ++i;
    } else if (s.substr(i, 2) == "--") {
      const auto e = s.find('\n', i);
      i = e == std::string_view::npos ? s.size() : e + 1;
    } else if (s.substr(i, 2) == "/*") {
      const auto e = s.find("*/", i + 2);
      if (e == std::string_view::npos) return bad();
      i = e + 2;
    } else if ((c == 'x' || c == 'X') && i + 1 < s.size() && s[i + 1] == '\'') {
      auto e = quoted_end(s, i + 1, '\'');
      if (!e) return bad();
      out.push_back({Kind::kBlob, i, *e - i, std::string(s.substr(i, *e - i))});
      i = *e;
    } else if (c == '\'' || c == '"' || c == '`' || c == '[') {
      auto e = quoted_end(s, i, c == '[' ? ']' : static_cast<char>(c));
      if (!e) return bad();
      const auto text = s.substr(i, *e - i);
      out.push_back({c == '\'' ? Kind::kString : Kind::kQuoted, i, *e - i,
                     c == '\'' ? std::string(text) : unquote(text)});
      i = *e;
    } else if (std::isdigit(c) || (c == '.' && i + 1 < s.size() && std::isdigit(s[i + 1]))) {
      std::size_t j = i;
      while (j < s.size() &&
             (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '.' ||
              ((s[j] == '+' || s[j] == '-') && (s[j - 1] == 'e' || s[j - 1] == 'E')))) {
        ++j;
      }
      out.push_back({Kind::kNumber, i, j - i, std::string(s.substr(i, j - i))});
      i = j;
    } else if (c == '?' || c == ':' || c == '@' || c == '$') {
      std::size_t j = i + 1;
      while (j < s.size() && word_char(static_cast<unsigned char>(s[j]))) ++j;
      const Kind k = j == i + 1 ? (c == '?' ? Kind::kBareParam : Kind::kPunct) : Kind::kParam;
      out.push_back({k, i, j - i, std::string(s.substr(i, j - i))});
      i = j;
    } else if (word_char(c)) {
      std::size_t j = i;
      while (j < s.size() && word_char(static_cast<unsigned char>(s[j]))) ++j;
      std::string w(s.substr(i, j - i));
      for (auto& ch : w) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      out.push_back({Kind::kWord, i, j - i, std::move(w)});
      i = j;
    } else {
      out.push_back({Kind::kPunct, i, 1, std::string(1, static_cast<char>(c))});
      ++i;
    }
  }
  return out;
}

std::string apply_edits(std::string_view sql, const Edits& edits) {
  Edits sorted = edits;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  std::size_t copied = 0;
  for (const auto& [at, insert] : sorted) {
    out.append(sql.substr(copied, at - copied));
    out.append(insert);
    copied = at;
  }
  out.append(sql.substr(copied));
  return out;
}

}  // namespace dbvault::storage::columns
