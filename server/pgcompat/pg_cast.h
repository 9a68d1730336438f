// PostgreSQL's conversions and pattern matching as plain functions over SQLite values, for the
// SQL functions prepare_connection() registers (pg_cast, like, match). Internal to pgcompat.
#pragma once

#include <sqlite3.h>

#include <string_view>

namespace dbvault::server::pgcompat::detail {

// pg_cast(value, 'type'): `value` converted as PostgreSQL converts it to `type` (a name from
// rewrite.cpp's castable list, with modifiers: "varchar(10)"). Sets an SQL error with the
// SQLSTATE's message (22P02 invalid input, 22003 out of range) on failure.
void pg_cast(sqlite3_context* ctx, sqlite3_value* value, std::string_view type);

// PostgreSQL's LIKE: case-sensitive, '_' one character (UTF-8), '%' any run, `escape`
// (default backslash; 0 = none) quotes the next character. `fold_case` gives ILIKE.
// Returns -1 for a pattern that ends with the escape character (22025).
int like_match(std::string_view pattern, std::string_view text, int escape, bool fold_case);

}  // namespace dbvault::server::pgcompat::detail
