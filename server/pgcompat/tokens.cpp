#include "server/pgcompat/tokens.h"

#include <cctype>
#include <charconv>
#include <optional>

namespace dbvault::server::pgcompat::detail {
namespace {

using grammar::SqlToken;

Error refused(std::string_view what, std::size_t offset, std::string_view hint = {}) {
  Error e =
      make_error(sqlstate::kFeatureNotSupported,
                 std::string(what) + " is PostgreSQL syntax the embedded engine does not support");
  e.position = static_cast<int>(offset) + 1;
  e.hint = std::string(hint);
  return e;
}

// PostgreSQL nests block comments and SQLite does not: "/* a /* b */ c */" would leave
// "c */" as SQL for SQLite. Finds a "/*" inside a comment of the text between two tokens.
std::optional<std::size_t> nested_comment(std::string_view sql, std::size_t from, std::size_t to) {
  if (to <= from + 1 || sql.substr(from, to - from).find("/*") == std::string_view::npos)
    return std::nullopt;
  std::size_t pos = from;
  while (pos + 1 < to) {
    if (sql.compare(pos, 2, "--") == 0) {
      const std::size_t nl = sql.find('\n', pos);
      pos = nl == std::string_view::npos ? to : nl + 1;
    } else if (sql.compare(pos, 2, "/*") == 0) {
      const std::size_t close = sql.find("*/", pos + 2);
      const std::size_t open = sql.find("/*", pos + 2);
      if (open != std::string_view::npos && (close == std::string_view::npos || open < close)) {
        return open;
      }
      pos = close == std::string_view::npos ? to : close + 2;
    } else {
      ++pos;
    }
  }
  return std::nullopt;
}

bool adjacent(const SqlToken& a, const SqlToken& b) { return a.offset + a.text.size() == b.offset; }

Token::Kind kind_of(SqlToken::Kind k) {
  switch (k) {
    case SqlToken::Kind::kWord:
      return Token::Kind::kWord;
    case SqlToken::Kind::kQuoted:
      return Token::Kind::kQuoted;
    case SqlToken::Kind::kString:
      return Token::Kind::kString;
    case SqlToken::Kind::kNumber:
      return Token::Kind::kNumber;
    default:
      return Token::Kind::kPunct;
  }
}

// The scanner's raw tokens, with the text between them checked for nested comments.
std::vector<SqlToken> raw_tokens(std::string_view sql, std::optional<Error>& refusal) {
  std::vector<SqlToken> raw;
  grammar::SqlScanner scanner(sql);
  std::size_t prev_end = 0;
  for (SqlToken t = scanner.next();; t = scanner.next()) {
    const std::size_t gap_end = t.kind == SqlToken::Kind::kEnd ? sql.size() : t.offset;
    if (auto at = nested_comment(sql, prev_end, gap_end); at && !refusal) {
      refusal = refused("a nested comment", *at);
    }
    if (t.kind == SqlToken::Kind::kEnd) break;
    prev_end = t.offset + t.text.size();
    raw.push_back(t);
  }
  return raw;
}

// A '$': either $n (a parameter) or the start of a dollar quote / SQLite $name parameter.
Result<Token> dollar(const std::vector<SqlToken>& raw, std::size_t& i) {
  const SqlToken& d = raw[i];
  if (i + 1 < raw.size() && adjacent(d, raw[i + 1]) && raw[i + 1].kind == SqlToken::Kind::kNumber) {
    const auto digits = raw[i + 1].text;
    int n = 0;
    const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (r.ec != std::errc() || r.ptr != digits.data() + digits.size() || n < 1 || n > 65535) {
      Error e =
          make_error(sqlstate::kSyntaxError, "invalid parameter number $" + std::string(digits));
      e.position = static_cast<int>(d.offset) + 1;
      return e;
    }
    ++i;
    return Token{Token::Kind::kParam, std::string_view(d.text.data(), 1 + digits.size()), d.offset,
                 n};
  }
  return refused("a dollar-quoted string ($$...$$)", d.offset,
                 "write the string as '...' with '' for a quote");
}

}  // namespace

bool Token::is(std::string_view upper_keyword) const {
  return kind == Kind::kWord &&
         SqlToken{SqlToken::Kind::kWord, text, offset, false}.is(upper_keyword);
}

Lexed tokenize(std::string_view sql) {
  Lexed out;
  auto refuse = [&](Error e) {
    if (!out.refusal) out.refusal = std::move(e);
  };
  const std::vector<SqlToken> raw = raw_tokens(sql, out.refusal);
  out.tokens.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const SqlToken& t = raw[i];
    const bool next_adjacent = i + 1 < raw.size() && adjacent(t, raw[i + 1]);
    if (t.kind == SqlToken::Kind::kWord && t.text.size() == 1 &&
        std::string_view("EeBbXxNn").find(t.text[0]) != std::string_view::npos && next_adjacent &&
        raw[i + 1].kind == SqlToken::Kind::kString) {
      refuse(refused("a prefixed string literal (" + std::string(t.text) + "'...')", t.offset,
                     "write the string as '...'; bytea values as '\\x...'"));
    }
    if (t.kind == SqlToken::Kind::kWord && t.is("U") && next_adjacent && raw[i + 1].is_punct('&')) {
      refuse(refused("a Unicode escape string (U&'...')", t.offset));
    }
    if (t.kind == SqlToken::Kind::kQuoted && t.text.front() == '[') {
      refuse(refused("square brackets (arrays and subscripts)", t.offset));
    }
    if (t.kind == SqlToken::Kind::kPunct) {
      const char c = t.text[0];
      if (c == '$') {
        auto p = dollar(raw, i);
        if (p) {
          out.tokens.push_back(*p);
          continue;
        }
        refuse(std::move(p).error());
      } else if (c == ':' && next_adjacent && raw[i + 1].is_punct(':')) {
        out.tokens.push_back(Token{Token::Kind::kCast, sql.substr(t.offset, 2), t.offset, 0});
        ++i;
        continue;
      } else if (c == '?' || c == ':' || c == '@') {
        Error e = make_error(sqlstate::kSyntaxError,
                             "syntax error at or near \"" + std::string(1, c) + "\"");
        e.position = static_cast<int>(t.offset) + 1;
        e.hint = "parameters are written $1, $2, ...";
        refuse(std::move(e));
      }
    }
    out.tokens.push_back(Token{kind_of(t.kind), t.text, t.offset, 0});
  }
  return out;
}

Result<std::vector<Token>> tokenize_strict(std::string_view sql) {
  Lexed lexed = tokenize(sql);
  if (lexed.refusal) return std::move(*lexed.refusal);
  return std::move(lexed.tokens);
}

std::string identifier_name(const Token& t) {
  if (t.kind == Token::Kind::kQuoted && t.text.size() >= 2) {
    std::string out;
    const char q = t.text.front();
    for (std::size_t i = 1; i + 1 < t.text.size(); ++i) {
      out += t.text[i];
      if (t.text[i] == q && t.text[i + 1] == q) ++i;
    }
    return out;
  }
  std::string out(t.text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string string_value(const Token& t) {
  std::string out;
  for (std::size_t i = 1; i + 1 < t.text.size(); ++i) {
    out += t.text[i];
    if (t.text[i] == '\'' && t.text[i + 1] == '\'') ++i;
  }
  return out;
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out.append(separator);
    out.append(item);
  }
  return out;
}

}  // namespace dbvault::server::pgcompat::detail
