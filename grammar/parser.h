// grammar::parse — text to typed AST. The public entry point of the grammar component,
// with the splitter (splitter.h), the classifier (classifier.h) and the printer (printer.h).
//
// Thread-safe: distinct calls may run concurrently (the ANTLR runtime shares its DFA cache
// under its own locks).
#pragma once

#include <string_view>
#include <vector>

#include "common/result.h"
#include "grammar/ast.h"
#include "grammar/splitter.h"

namespace dbvault::grammar {

// Parses exactly one statement (a trailing ';' is allowed). Ordinary SQL comes back as
// ast::EngineSql with its text unchanged; extension statements as their typed node.
// Errors, each with Error::position (1-based character offset in `sql`):
//   42601 syntax error — the message names line, column, the offending token and what was
//         expected; also for an empty statement or more than one statement;
//   22023 invalid parameter (interval, emergency interval over 1 hour, cipher, CIDR);
//   22007 invalid timestamp; 22003 integer out of range;
//   42883 unknown function, 42703 unknown factor, 42804 type error in a rule expression.
// A syntax error never echoes a string literal, nor a word right after PASSWORD or TOKEN (it
// could be a password); value errors (interval, timestamp, cipher, CIDR) quote the value.
Result<ast::Statement> parse(std::string_view sql);

// Parses one statement of a split script (see split_statements), reporting error positions
// and line/column relative to the whole script. REQUIRES: `statement` is one of
// split_statements(script). Invalid UTF-8 in it is 22021.
Result<ast::Statement> parse_at(std::string_view script, const StatementText& statement);

// Splits `script` at ';' (see split_statements) and parses each statement. Stops at the
// first error, whose position and line/column are relative to the whole script.
Result<std::vector<ast::Statement>> parse_script(std::string_view script);

}  // namespace dbvault::grammar
