// Internal: turning ANTLR parse-tree contexts into AST values. One file per statement
// family (build_realm.cpp, build_rules.cpp, build_expr.cpp, build_admin.cpp); this header
// holds what they share. Errors carry 1-based code-point positions within the statement;
// parser.cpp maps them onto the whole script.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "VaultSqlParser.h"
#include "common/result.h"
#include "common/secret_string.h"
#include "grammar/ast.h"

namespace dbvault::grammar::build {

using P = dbvault_gen::VaultSqlParser;

// Normalised identifier: unquoted folded to lower case, "quoted" kept with "" unescaped.
std::string name(P::IdentifierContext* c);
std::string token_name(const antlr4::Token* t);  // the same for a single IDENT/keyword token
ast::ObjectName object_name(P::ObjectNameContext* c);
ast::ObjectRef column_ref(P::ColumnNameContext* c);
ast::ObjectState object_state(P::ObjectStateContext* c);
ast::PrincipalKind principal_kind(P::PrincipalKindContext* c);

// The value of a '...' literal with '' unescaped.
std::string text(P::StringContext* c);
// The same, for literals that hold a password or token: no std::string copy survives.
SecretString secret(P::StringContext* c);
// A cipher name of CREATE TABLESPACE ('AES256', 'CHACHA20', ...); 22023 for another.
Result<ast::Cipher> cipher(P::StringContext* c);

Result<ast::Seconds> interval(P::IntervalContext* c);

int position(const antlr4::Token* t);
int position(antlr4::ParserRuleContext* c);
Error error_at(SqlState code, std::string message, antlr4::ParserRuleContext* c);

// Statement families. Each returns nullopt when `c` is not of its family.
std::optional<Result<ast::Statement>> realm_statement(P::StatementContext* c);
std::optional<Result<ast::Statement>> rule_statement(P::StatementContext* c);
std::optional<Result<ast::Statement>> admin_statement(P::StatementContext* c);
std::optional<Result<ast::Statement>> storage_statement(P::StatementContext* c);

// Rule expressions, type-checked as conditions (boolean).
Result<ast::Expr> condition(P::ExprContext* c);

}  // namespace dbvault::grammar::build
