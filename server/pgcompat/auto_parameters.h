// Auto-parameterization of simple queries: the literals of an engine statement that can be
// bound as parameters without changing what the statement means, so that statements which
// differ only in those literals (what simple-query clients send: pgbench -M simple,
// psycopg2's client-side interpolation) share one prepared statement (docs/engine.md §6).
// Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace dbvault::server::pgcompat {

struct AutoParameterized {
  // The statement with each bound literal replaced by ?1, ?2, ... in order of appearance;
  // literals left in place are part of this text, so two statements with the same text are
  // the same statement once `values` are bound.
  std::string sql;
  // The value of ?i at values[i - 1]: an integer literal (within int64) or a '...' string
  // ('' undoubled).
  std::vector<std::variant<std::int64_t, std::string>> values;
};

// `sql` is one statement of the engine's dialect, after translate(). Returns nullopt when the
// statement is not worth or not safe to parameterize; then it runs as written. Only SELECT,
// INSERT, UPDATE and DELETE qualify, with at least one literal bound, and none of these:
// parameters already (?, $, :, @), window functions (OVER, WINDOW), RETURNING, a WITH clause,
// a table-valued function in FROM, PRAGMA. Literals are left in place where the text itself
// matters: in a select list (a result column's name is its expression's text), in ORDER BY
// and GROUP BY (a number there is a column position), in FROM (a string there is a table
// name), and literals SQLite reads otherwise than a bound value (real numbers, integers out of
// range, X'..' blobs). A statement whose rewrite SQLite cannot prepare must be run as written:
// the caller falls back to `sql` on any error other than a denial.
std::optional<AutoParameterized> auto_parameterize(std::string_view sql);

}  // namespace dbvault::server::pgcompat
