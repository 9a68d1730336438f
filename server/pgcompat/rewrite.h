// The expression-level rewrite of a PostgreSQL statement into SQLite's dialect, on tokens:
//   $n              -> ?n             (SQLite numbers ?NNN exactly; it numbers $n by first use)
//   expr::type      -> pg_cast(expr, 'type')   (PostgreSQL's conversion rules, see functions.h)
//   current_user    -> (current_user())        (also session_user, current_role,
//                                               current_catalog, current_schema)
// Internal to pgcompat.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "server/pgcompat/tokens.h"

namespace dbvault::server::pgcompat::detail {

struct ExpressionRewrite {
  std::string sql;       // the statement for the engine
  bool changed = false;  // false: `sql` is the input unchanged
};

// REQUIRES: `tokens` are tokenize(sql). Errors: 0A000 for a cast to a type the engine
// cannot represent (arrays, reg* types, intervals...), 42601 for a cast without an operand
// or a type.
Result<ExpressionRewrite> rewrite_expressions(std::string_view sql,
                                              const std::vector<Token>& tokens);

// The type name after "::" or in CAST(... AS type) as pg_cast() takes it ("int4",
// "varchar(10)", "timestamptz"), consuming tokens from `i`; 0A000 for unsupported types.
Result<std::string> cast_target(const std::vector<Token>& tokens, std::size_t& i);

}  // namespace dbvault::server::pgcompat::detail
