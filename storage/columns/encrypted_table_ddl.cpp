// CREATE TABLE ... ENCRYPTED (docs/encryption.md §13.3): the table is created as any CREATE
// TABLE (checked by the vault, registered with it), then checked for what encrypted columns
// need, recorded in the column catalog, and its column key made — or dropped again.
#include <algorithm>

#include "grammar/printer.h"
#include "storage/columns/table_shape.h"
#include "storage/engine_internal.h"
#include "storage/sql_words.h"

namespace dbvault::storage {
namespace {

constexpr SqlState kActiveTransaction{"25001"};
constexpr SqlState kDuplicateTable{"42P07"};

Status run_to_end(Connection& conn, const std::string& sql) {
  auto st = conn.prepare(sql);
  if (!st) return std::move(st).error();
  for (;;) {
    auto row = (*st)->step();
    if (!row) return std::move(row).error();
    if (!*row) return ok_status();
  }
}

// What an encrypted column of `table` may not be: missing, generated, with a DEFAULT (it would
// be stored as written, unsealed), the row identity itself; and RANDOMIZED columns need an
// INTEGER PRIMARY KEY to be bound to.
Status check_encryptable(ConnectionState& c, const std::string& table,
                         const std::vector<columns::EncryptedColumn>& encrypted) {
  auto scope = c.auth->internal();
  auto all = table_columns(c.db, *c.auth, "main", table, true);
  if (!all) return std::move(all).error();
  auto plain = table_columns(c.db, *c.auth, "main", table, false);
  if (!plain) return std::move(plain).error();
  auto defaults =
      query_column(c.db, *c.auth,
                   "SELECT lower(name) FROM pragma_table_info(" + grammar::quote_literal(table) +
                       ", 'main') WHERE dflt_value IS NOT NULL",
                   0);
  if (!defaults) return std::move(defaults).error();
  auto rowid = columns::rowid_column(c.db, *c.auth, "main", table);
  if (!rowid) return std::move(rowid).error();
  const auto has = [](const std::vector<std::string>& names, const std::string& n) {
    return std::any_of(names.begin(), names.end(),
                       [&](const std::string& x) { return fold_ascii(x) == n; });
  };
  const auto refuse = [&](const std::string& column, const std::string& why) {
    return make_error(sqlstate::kFeatureNotSupported,
                      "column " + column + " of " + table + " cannot be ENCRYPTED: " + why);
  };
  for (const auto& [e, mode] : encrypted) {
    if (!has(*all, e)) return refuse(e, "no such column");
    if (!has(*plain, e)) return refuse(e, "it is a generated column");
    if (has(*defaults, e)) return refuse(e, "it has a DEFAULT, which would be stored unsealed");
    if (*rowid == e) return refuse(e, "it is the row identity (the INTEGER PRIMARY KEY)");
    if (mode != columns::ColumnMode::kRandomized) continue;  // bound to table and column only
    if (rowid->empty()) {
      return refuse(e,
                    "the table needs an INTEGER PRIMARY KEY, the row identity RANDOMIZED "
                    "values are bound to");
    }
  }
  return ok_status();
}

// Where a table or view named `table` exists ("main", or the tablespace holding it); "" none.
Result<std::string> existing_relation(ConnectionState& c, const std::string& table) {
  if (const auto holder = c.engine.tablespaces.tablespace_of_table(table)) return *holder;
  auto found = query_column(c.db, *c.auth,
                            "SELECT name FROM main.sqlite_schema WHERE type IN ('table', 'view') "
                            "AND name = " +
                                grammar::quote_literal(table) + " COLLATE NOCASE",
                            0);
  if (!found) return std::move(found).error();
  return found->empty() ? std::string() : std::string("main");
}

}  // namespace

Status create_encrypted_table(Connection& conn, ConnectionState& c, const ast::CreateTable& ct,
                              std::string* notice) {
  if (ct.tablespace) {
    return make_error(sqlstate::kFeatureNotSupported,
                      "ENCRYPTED columns in a table of a TABLESPACE are not supported yet: "
                      "create the table in the default tablespace");
  }
  if (ct.temporary) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "a TEMP table cannot have ENCRYPTED columns (it lives in the session's "
                      "memory, under no key)");
  }
  if (!ct.table.schema.empty() && fold_ascii(ct.table.schema) != "main" &&
      fold_ascii(ct.table.schema) != "public") {
    return make_error(sqlstate::kInvalidParameterValue,
                      "a table with ENCRYPTED columns is created in main, not " + ct.table.schema);
  }
  if (conn.in_transaction()) {
    return make_error(kActiveTransaction,
                      "CREATE TABLE ... ENCRYPTED cannot run inside a transaction block");
  }
  columns::ColumnKeys* keys = c.columns->keys();
  if (keys == nullptr) {
    return make_error(sqlstate::kSystemError,
                      "this connection has no key store for encrypted columns");
  }
  const std::string table = fold_ascii(ct.table.name);
  const std::string vault_name = "main." + table;
  columns::EncryptedTable record{vault_name, {}};
  for (const auto& e : ct.encrypted_columns) {
    const bool deterministic =
        std::find(ct.deterministic_columns.begin(), ct.deterministic_columns.end(), e) !=
        ct.deterministic_columns.end();
    record.columns.push_back({fold_ascii(e), deterministic ? columns::ColumnMode::kDeterministic
                                                           : columns::ColumnMode::kRandomized});
  }
  // One transaction from the check of the name to the catalog record: no other session sees
  // the table before its record (an INSERT there would store plaintext). A table another
  // session creates after the check makes the CREATE fail (its write needs the snapshot the
  // check read: SQLITE_BUSY_SNAPSHOT), never run over that table. Deferred, not IMMEDIATE:
  // that would also take the write lock of every attached tablespace.
  DBV_RETURN_IF_ERROR(exec_internal(c.db, *c.auth, "BEGIN"));
  bool recorded = false;
  Status done = [&]() -> Status {
    auto existing = existing_relation(c, table);
    if (!existing) return std::move(existing).error();
    if (!existing->empty()) {
      if (!creates_if_not_exists(ct.source)) {
        return make_error(kDuplicateTable, "relation \"" + table + "\" already exists" +
                                               (*existing == "main" ? "" : " in " + *existing));
      }
      if (notice != nullptr) *notice = "relation \"" + table + "\" already exists, skipping";
      return ok_status();  // touches nothing: no check, no key, no record
    }
    DBV_RETURN_IF_ERROR(run_to_end(conn, ct.engine_sql));
    DBV_RETURN_IF_ERROR(check_encryptable(c, table, record.columns));
    DBV_RETURN_IF_ERROR(keys->create(columns::ColumnCatalog::scope_of(vault_name)));
    auto scope = c.auth->internal();
    DBV_RETURN_IF_ERROR(c.engine.columns.remove(c.db, vault_name));  // a dropped table's record
    DBV_RETURN_IF_ERROR(c.engine.columns.add(c.db, record));
    recorded = true;
    return exec_internal(c.db, *c.auth, "COMMIT");
  }();
  if (!done || conn.in_transaction()) {
    (void)exec_internal(c.db, *c.auth, "ROLLBACK");
    auto scope = c.auth->internal();
    if (recorded) (void)c.engine.columns.remove(c.db, vault_name);  // the memory of a lost one
  }
  return done;
}

}  // namespace dbvault::storage
