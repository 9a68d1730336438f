#include "storage/columns/column_catalog.h"

#include "common/sqlstate.h"
#include "storage/catalog_sql.h"
#include "storage/sql_words.h"

namespace dbvault::storage::columns {
namespace {

constexpr std::string_view kCatalog = "encrypted-column catalog";

template <typename RowFn>
Status run_rows(sqlite3* db, const char* sql, std::initializer_list<std::string_view> params,
                RowFn&& row) {
  return catalog_sql::run(db, kCatalog, sql, params, std::forward<RowFn>(row));
}

Status run_sql(sqlite3* db, const char* sql, std::initializer_list<std::string_view> params = {}) {
  return catalog_sql::run(db, kCatalog, sql, params);
}

std::string column_text(sqlite3_stmt* st, int col) { return catalog_sql::text(st, col); }

std::optional<ColumnMode> parse_mode(std::string_view name) {
  if (name == mode_name(ColumnMode::kRandomized)) return ColumnMode::kRandomized;
  if (name == mode_name(ColumnMode::kDeterministic)) return ColumnMode::kDeterministic;
  return std::nullopt;
}

}  // namespace

crypto::KeyScope ColumnCatalog::scope_of(std::string_view table) {
  return crypto::KeyScope::columns(fold_ascii(table));
}

Status ColumnCatalog::load(sqlite3* db) {
  DBV_RETURN_IF_ERROR(run_sql(db,
                              "CREATE TABLE IF NOT EXISTS main.dbvault_encrypted_columns ("
                              "table_name TEXT NOT NULL, column_name TEXT NOT NULL, "
                              "mode TEXT NOT NULL, PRIMARY KEY (table_name, column_name))"));
  std::map<std::string, EncryptedTable, std::less<>> loaded;
  DBV_RETURN_IF_ERROR(run_rows(
      db,
      "SELECT table_name, column_name, mode FROM "
      "main.dbvault_encrypted_columns ORDER BY table_name, rowid",
      {}, [&](sqlite3_stmt* st) {
        const std::string table = fold_ascii(column_text(st, 0));
        auto& t = loaded[table];
        t.table = table;
        t.columns.push_back({fold_ascii(column_text(st, 1)), parse_mode(column_text(st, 2))});
      }));
  std::lock_guard lock(mu_);
  tables_ = std::move(loaded);
  ++epoch_;
  return ok_status();
}

std::optional<EncryptedTable> ColumnCatalog::find(std::string_view table) const {
  std::lock_guard lock(mu_);
  auto it = tables_.find(fold_ascii(table));
  if (it == tables_.end()) return std::nullopt;
  return it->second;
}

std::optional<EncryptedColumn> ColumnCatalog::column(std::string_view table,
                                                     std::string_view column) const {
  const std::string c = fold_ascii(column);
  std::lock_guard lock(mu_);
  auto it = tables_.find(fold_ascii(table));
  if (it == tables_.end()) return std::nullopt;
  for (const auto& e : it->second.columns) {
    if (e.column == c) return e;
  }
  return std::nullopt;
}

std::vector<EncryptedTable> ColumnCatalog::list() const {
  std::lock_guard lock(mu_);
  std::vector<EncryptedTable> out;
  for (const auto& [name, t] : tables_) out.push_back(t);
  return out;
}

bool ColumnCatalog::empty() const {
  std::lock_guard lock(mu_);
  return tables_.empty();
}

Status ColumnCatalog::add(sqlite3* db, const EncryptedTable& table) {
  const std::string name = fold_ascii(table.table);
  {
    std::lock_guard lock(mu_);
    if (tables_.contains(name)) {
      return make_error(sqlstate::kDuplicateObject,
                        "table " + name + " already has encrypted columns");
    }
  }
  DBV_RETURN_IF_ERROR(run_sql(db, "SAVEPOINT dbvault_encrypted_columns"));
  Status s = ok_status();
  EncryptedTable stored{name, {}};
  for (const auto& c : table.columns) {
    if (!c.mode) {
      s = make_error(sqlstate::kInvalidParameterValue, "an encrypted column needs a mode");
      break;
    }
    stored.columns.push_back({fold_ascii(c.column), c.mode});
    s = run_sql(db,
                "INSERT INTO main.dbvault_encrypted_columns (table_name, column_name, mode) "
                "VALUES (?1, ?2, ?3)",
                {name, stored.columns.back().column, mode_name(*c.mode)});
    if (!s) break;
  }
  if (!s) (void)run_sql(db, "ROLLBACK TO dbvault_encrypted_columns");
  DBV_RETURN_IF_ERROR(run_sql(db, "RELEASE dbvault_encrypted_columns"));
  DBV_RETURN_IF_ERROR(s);
  std::lock_guard lock(mu_);
  tables_[name] = std::move(stored);
  ++epoch_;
  return ok_status();
}

Status ColumnCatalog::remove(sqlite3* db, std::string_view table) {
  const std::string name = fold_ascii(table);
  DBV_RETURN_IF_ERROR(
      run_sql(db, "DELETE FROM main.dbvault_encrypted_columns WHERE table_name = ?1", {name}));
  std::lock_guard lock(mu_);
  if (tables_.erase(name) > 0) ++epoch_;
  return ok_status();
}

std::vector<ast::ObjectRef> ColumnCatalog::objects(const crypto::KeyScope& scope) const {
  if (scope.kind() != crypto::ScopeKind::kColumns) return {};
  const auto t = find(scope.name());
  if (!t) return {};
  const auto dot = t->table.find('.');
  const ast::ObjectName name{t->table.substr(0, dot), t->table.substr(dot + 1)};
  std::vector<ast::ObjectRef> out{{name, ""}};
  for (const auto& c : t->columns) out.push_back({name, c.column});
  return out;
}

std::vector<crypto::KeyScope> ColumnCatalog::scopes() const {
  std::vector<crypto::KeyScope> out;
  for (const auto& t : list()) out.push_back(scope_of(t.table));
  return out;
}

std::vector<ast::ObjectRef> EngineScopes::objects(const crypto::KeyScope& scope) const {
  return scope.kind() == crypto::ScopeKind::kColumns ? columns_.objects(scope)
                                                     : tablespaces_.objects(scope);
}

std::vector<crypto::KeyScope> EngineScopes::scopes() const {
  auto out = tablespaces_.scopes();
  for (auto& s : columns_.scopes()) out.push_back(std::move(s));
  return out;
}

}  // namespace dbvault::storage::columns
