#include "storage/columns/sql_tokens.h"

#include <algorithm>
#include <cctype>
#include <optional>

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

bool digit_at(std::string_view s, std::size_t i) {
  return i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]));
}

// The end of the number starting at `i`, by SQLite's own rules (tokenize.c), so that the
// rewrite never sees a token boundary SQLite does not: `0xe--x` is the number 0xe and a
// comment to SQLite, not one number `0xe-` and a minus. Digits run into by identifier
// characters (`1abc`), which SQLite rejects, are nullopt.
std::optional<std::size_t> number_end(std::string_view s, std::size_t i) {
  if (s[i] == '0' && i + 2 < s.size() && (s[i + 1] == 'x' || s[i + 1] == 'X') &&
      std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
    std::size_t j = i + 3;
    while (j < s.size() && std::isxdigit(static_cast<unsigned char>(s[j]))) ++j;
    return j;
  }
  std::size_t j = i;
  while (digit_at(s, j)) ++j;
  if (j < s.size() && s[j] == '.') {
    ++j;
    while (digit_at(s, j)) ++j;
  }
  if (j < s.size() && (s[j] == 'e' || s[j] == 'E') &&
      (digit_at(s, j + 1) ||
       (j + 1 < s.size() && (s[j + 1] == '+' || s[j + 1] == '-') && digit_at(s, j + 2)))) {
    j += 2;
    while (digit_at(s, j)) ++j;
  }
  if (j < s.size() && word_char(static_cast<unsigned char>(s[j]))) return std::nullopt;
  return j;
}

// The end of the parameter starting at `i` (`?`, `?NNN`, `:name`, `@name`, `$name`, `#name`),
// by SQLite's rules: a name may go on with `::` and end with a TCL-style `(...)` suffix, up to
// the first `)` with no white space before it (`#p('),` is one token to SQLite, not a `#`
// then the start of a string). nullopt for what SQLite rejects (`$p(` with no `)`).
std::optional<std::size_t> parameter_end(std::string_view s, std::size_t i) {
  std::size_t j = i + 1;
  if (s[i] == '?') {
    while (digit_at(s, j)) ++j;
    return j;
  }
  std::size_t n = 0;
  for (; j < s.size(); ++j) {
    const auto c = static_cast<unsigned char>(s[j]);
    if (word_char(c)) {
      ++n;
    } else if (c == '(' && n > 0) {
      ++j;
      while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j])) && s[j] != ')') ++j;
      if (j >= s.size() || s[j] != ')') return std::nullopt;
      return j + 1;
    } else if (c == ':' && j + 1 < s.size() && s[j + 1] == ':') {
      ++j;
    } else {
      break;
    }
  }
  return n == 0 ? i + 1 : j;
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
      auto e = number_end(s, i);
      if (!e) return bad();
      out.push_back({Kind::kNumber, i, *e - i, std::string(s.substr(i, *e - i))});
      i = *e;
    } else if (c == '?' || c == ':' || c == '@' || c == '$' || c == '#') {
      auto e = parameter_end(s, i);
      if (!e) return bad();
      const Kind k = *e == i + 1 ? (c == '?' ? Kind::kBareParam : Kind::kPunct) : Kind::kParam;
      out.push_back({k, i, *e - i, std::string(s.substr(i, *e - i))});
      i = *e;
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
