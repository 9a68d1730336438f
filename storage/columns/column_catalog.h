// ColumnCatalog: the engine's record of its encrypted columns (docs/encryption.md §13.3) —
// which columns of which table are encrypted, and how (RANDOMIZED or DETERMINISTIC).
//
// Persisted in the engine database (main.dbvault_encrypted_columns, encrypted under the default
// tablespace's key like every page, never reachable by a user's statement: the authorizer
// refuses every dbvault_* table), so it survives restarts; kept in memory too, so that the
// result path and the key layer (vault::ScopeCatalog: "what does columns:main.t protect?")
// answer without I/O. A record whose mode is not one this version knows is kept as *invalid*
// (mode nullopt): reads and writes of that column then fail (XX001) instead of guessing.
//
// Names: tables as the vault names them, "<schema>.<table>" folded to lower case ("main.t");
// columns folded to lower case. The key of a table's encrypted columns is the TEK of
// KeyScope::columns("<schema>.<table>").
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "storage/columns/column_format.h"
#include "vault/key_authorizer.h"

namespace dbvault::storage::columns {

struct EncryptedColumn {
  std::string column;              // folded
  std::optional<ColumnMode> mode;  // nullopt: the record is invalid (fail closed)
  bool operator==(const EncryptedColumn&) const = default;
};

// One table's encrypted columns.
struct EncryptedTable {
  std::string table;  // "main.t"
  std::vector<EncryptedColumn> columns;
};

class ColumnCatalog final : public vault::ScopeCatalog {
 public:
  // "columns:<table>".
  static crypto::KeyScope scope_of(std::string_view table);

  // Creates the bookkeeping table if missing and loads it. 58030 on error.
  Status load(sqlite3* db);

  // The table's encrypted columns ("main.t", any case); nullopt when it has none.
  std::optional<EncryptedTable> find(std::string_view table) const;
  // The column's record, if it is encrypted.
  std::optional<EncryptedColumn> column(std::string_view table, std::string_view column) const;
  std::vector<EncryptedTable> list() const;
  bool empty() const;
  // Changes with every add/remove.
  std::uint64_t epoch() const { return epoch_.load(); }

  // Persist on `db` (the engine database, inside the caller's transaction or savepoint when it
  // has one), then update memory. On error nothing changed. 42710 if the table has records.
  Status add(sqlite3* db, const EncryptedTable& table);
  // Forgets the table's records (DROP TABLE). No error if it has none.
  Status remove(sqlite3* db, std::string_view table);

  // vault::ScopeCatalog: columns:main.t protects main.t's encrypted columns.
  std::vector<ast::ObjectRef> objects(const crypto::KeyScope& scope) const override;
  std::vector<crypto::KeyScope> scopes() const override;

 private:
  mutable std::mutex mu_;
  std::map<std::string, EncryptedTable, std::less<>> tables_;
  std::atomic<std::uint64_t> epoch_{1};
};

// The scopes of a whole engine: tablespaces and encrypted columns, for the vault's
// KeyAuthorizer. REQUIRES: both outlive this object.
class EngineScopes final : public vault::ScopeCatalog {
 public:
  EngineScopes(const vault::ScopeCatalog& tablespaces, const ColumnCatalog& columns)
      : tablespaces_(tablespaces), columns_(columns) {}
  std::vector<ast::ObjectRef> objects(const crypto::KeyScope& scope) const override;
  std::vector<crypto::KeyScope> scopes() const override;

 private:
  const vault::ScopeCatalog& tablespaces_;
  const ColumnCatalog& columns_;
};

}  // namespace dbvault::storage::columns
