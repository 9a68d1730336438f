// Tokens of an engine statement, as the engine (SQLite) will read them, with PostgreSQL's
// own markers recognised: $n parameters and :: casts. Lexical forms on which the two dialects
// disagree are refused here, before anything runs: they would either fail in SQLite with a
// confusing message or, worse, run with another meaning. Internal to pgcompat.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "grammar/sql_scanner.h"

namespace dbvault::server::pgcompat::detail {

struct Token {
  enum class Kind { kWord, kQuoted, kString, kNumber, kPunct, kParam, kCast };
  Kind kind;
  std::string_view text;   // as written
  std::size_t offset = 0;  // byte offset in the statement
  int param = 0;           // kParam: n of $n

  bool is(std::string_view upper_keyword) const;  // a word, case-insensitively
  bool is_punct(char c) const { return kind == Kind::kPunct && text.size() == 1 && text[0] == c; }
  std::size_t end() const { return offset + text.size(); }
};

struct Lexed {
  std::vector<Token> tokens;
  // The first lexical form the engine would misread, if any: 0A000 for dollar-quoted strings,
  // E'...' / U&'...' / B'...' / X'...' / N'...' strings, nested comments, square brackets
  // (SQLite quotes identifiers with them; PostgreSQL builds arrays); 42601 for SQLite's own
  // parameter markers (?, :name, @name) and $0 / $n above 65535. Its position (1-based)
  // points at the offending text. Tokens past it are a best effort (enough to recognise a
  // catalog query, which PostgreSQL's parser then reads).
  std::optional<Error> refusal;
};

// The tokens of `sql` (comments and blanks dropped).
Lexed tokenize(std::string_view sql);
// tokenize() with its refusal as the error.
Result<std::vector<Token>> tokenize_strict(std::string_view sql);

// An identifier's name: unquoted words lower-cased (PostgreSQL folds them), "quoted" ones
// unquoted with "" undoubled and their case kept.
std::string identifier_name(const Token& t);

// A string literal's value ('' undoubled).
std::string string_value(const Token& t);

// SQL text for an identifier, always quoted ("" doubled): the engine's keywords are not the
// vault grammar's, so grammar::quote_identifier's "only when needed" does not apply.
std::string quote_identifier(std::string_view name);

// The items separated by `separator`.
std::string join(const std::vector<std::string>& items, std::string_view separator);

}  // namespace dbvault::server::pgcompat::detail
