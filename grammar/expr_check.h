// Catalog-free checks of rule expressions: every function exists with the right number and
// types of arguments, every operator gets operands of matching types, literal CIDRs are
// valid, and a rule condition is boolean. rules/ compiles only expressions that pass.
#pragma once

#include <string>

#include "common/result.h"
#include "grammar/ast_expr.h"

namespace dbvault::grammar {

enum class ValueType { kNull, kBoolean, kInteger, kString, kTimestamp };

std::string_view value_type_name(ValueType t);  // "boolean", "integer", ...

// The type of `e`. Errors: 42804 (type mismatch), 42883 (wrong argument count),
// 22023 (invalid CIDR literal). Positions point at the offending sub-expression.
Result<ValueType> type_of(const ast::Expr& e);

// type_of, and the result must be boolean (or NULL).
Status check_condition(const ast::Expr& e);

// Comma-separated lists for error messages: "CURRENT_USER, SESSION_USER, ...", "HOUR, ...".
std::string known_factor_names();
std::string known_function_names();

}  // namespace dbvault::grammar
