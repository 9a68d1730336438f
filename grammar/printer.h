// to_sql: the canonical SQL text of an AST. parse(to_sql(s, Secrets::kReveal)) == s for
// every statement (the round-trip tests hold the printer and the parser to that).
#pragma once

#include <string>
#include <string_view>

#include "grammar/ast.h"

namespace dbvault::grammar {

enum class Secrets {
  kRedact,  // passwords and tokens print as '********': safe for logs and audit records
  kReveal,  // the real text: only to re-parse, never to log
};

std::string to_sql(const ast::Statement& s, Secrets secrets = Secrets::kRedact);
std::string to_sql(const ast::Expr& e);

// A name as SQL: bare when it is a plain lower-case identifier and not a keyword, otherwise
// double-quoted with inner quotes doubled.
std::string quote_identifier(std::string_view name);
// A '...' literal with inner quotes doubled.
std::string quote_literal(std::string_view text);
// True if `word` is a keyword of the extension grammar (any case).
bool is_keyword(std::string_view word);

}  // namespace dbvault::grammar
