// The engine catalogs' (tablespace_catalog, columns/column_catalog) SQL on the engine database:
// a statement with text parameters, its rows, a savepoint. Internal to storage/.
// Thread-safety: the caller's connection.
#pragma once

#include <sqlite3.h>

#include <initializer_list>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/sqlstate.h"
#include "storage/compile.h"

namespace dbvault::storage::catalog_sql {

// 58030 "<catalog>: cannot <what>: <SQLite's message>".
inline Error db_error(sqlite3* db, std::string_view catalog, std::string_view what) {
  return make_error(sqlstate::kIoError, std::string(catalog) + ": cannot " + std::string(what) +
                                            ": " + sqlite3_errmsg(db));
}

// Runs `sql` with text parameters; `row` sees each result row.
template <typename RowFn>
Status run(sqlite3* db, std::string_view catalog, const char* sql,
           std::initializer_list<std::string_view> params, RowFn&& row) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
    return db_error(db, catalog, "prepare");
  }
  StmtPtr st(raw);
  int i = 1;
  for (auto p : params) {
    sqlite3_bind_text(raw, i++, p.data(), static_cast<int>(p.size()), SQLITE_TRANSIENT);
  }
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) row(raw);
  if (rc != SQLITE_DONE) return db_error(db, catalog, "update its records");
  return ok_status();
}

inline Status run(sqlite3* db, std::string_view catalog, const char* sql,
                  std::initializer_list<std::string_view> params = {}) {
  return run(db, catalog, sql, params, [](sqlite3_stmt*) {});
}

inline std::string text(sqlite3_stmt* st, int col) {
  const auto* p = sqlite3_column_text(st, col);
  return p != nullptr ? reinterpret_cast<const char*>(p) : "";
}

}  // namespace dbvault::storage::catalog_sql
