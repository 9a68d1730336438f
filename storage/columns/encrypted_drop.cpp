// DROP TABLE of a table with encrypted columns (docs/encryption.md §13.3): once the table is
// gone, its catalog record is removed and its column key destroyed (every version deleted
// from the key store, cached copies zeroized), so that a new table of the name is an ordinary
// one and nothing the dropped table sealed can be opened again (a backup, a stolen copy).
#include "storage/engine_internal.h"
#include "storage/sql_words.h"

namespace dbvault::storage {
namespace {

constexpr SqlState kActiveTransaction{"25001"};

}  // namespace

std::vector<std::string> dropped_encrypted_tables(const ConnectionState& conn,
                                                  const StatementFacts& facts) {
  std::vector<std::string> out;
  if (conn.engine.columns.empty()) return out;
  for (const auto& a : facts.accesses) {
    if (a.command != ast::Command::kDrop || !a.column.empty() || !a.context.empty()) continue;
    if (fold_ascii(a.schema) != "main") continue;  // a TEMP table has no encrypted columns
    std::string name = "main." + fold_ascii(a.table);
    if (conn.engine.columns.find(name)) out.push_back(std::move(name));
  }
  return out;
}

Status check_encrypted_drop(const ConnectionState& conn, const std::vector<std::string>& tables) {
  if (tables.empty() || sqlite3_get_autocommit(conn.db) != 0) return ok_status();
  return make_error(kActiveTransaction,
                    "DROP TABLE of " + tables.front() +
                        ", which has encrypted columns, cannot run inside a transaction block "
                        "(its column key is destroyed with it, which a ROLLBACK cannot undo)");
}

Status finish_encrypted_drop(ConnectionState& conn, const std::vector<std::string>& tables) {
  for (const auto& table : tables) {
    {
      auto scope = conn.auth->internal();
      DBV_RETURN_IF_ERROR(conn.engine.columns.remove(conn.db, table));
    }
    columns::ColumnKeys* keys = conn.columns->keys();
    if (keys == nullptr) {
      return make_error(sqlstate::kSystemError,
                        "table " + table +
                            " was dropped, but this connection has no key store to destroy "
                            "its column key");
    }
    Status destroyed = keys->destroy(columns::ColumnCatalog::scope_of(table));
    if (!destroyed) {
      return make_error(destroyed.error().code, "table " + table +
                                                    " was dropped, but its column key was not "
                                                    "destroyed: " +
                                                    destroyed.error().message);
    }
  }
  return ok_status();
}

}  // namespace dbvault::storage
