// ColumnSession: one connection's side of encrypted columns (docs/encryption.md §13): the
// sealing function the engine's rewritten writes call, and the decryption of result rows.
//
//   dbvault_seal(table, column, value, rowid)  (registered on the connection)
//     seals `value` for main.t.c under the table's column key as released to this session;
//     NULL stays NULL. Callable only from a statement the engine rewrote (the authorizer
//     refuses it elsewhere, and user statements may not name it).
//   ResultPlan / decrypt_row
//     which result columns of a statement come straight from an encrypted column (SQLite's
//     column origin, through views and subqueries), and their values opened for a row.
//
// Keys are released through ColumnKeys on first use and kept per table with their handle;
// a handle that expired (lock, TTL, end of the unlock) is released again before the next use,
// so a key withdrawn from the session is never used again. Errors of the SQL function are kept
// (take_error) so that the statement fails with their SQLSTATE, not SQLite's generic one.
// Thread-safety: the connection's thread.
#pragma once

#include <sqlite3.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "storage/columns/column_catalog.h"
#include "storage/columns/column_cipher.h"
#include "storage/columns/column_keys.h"
#include "storage/engine.h"

namespace dbvault::storage::columns {

inline constexpr std::string_view kSealFunction = "dbvault_seal";
// True if `sql` contains the reserved name (ASCII case-insensitively).
bool names_seal_function(std::string_view sql);

// For each result column: the encrypted column it shows, if any.
struct ResultColumn {
  ColumnIdentity column;
  std::optional<ColumnMode> mode;  // nullopt: invalid metadata (every non-NULL value fails)
};
using ResultPlan = std::vector<std::optional<ResultColumn>>;

class ColumnSession {
 public:
  // REQUIRES: `catalog` outlives this object.
  explicit ColumnSession(const ColumnCatalog& catalog) : catalog_(catalog) {}

  void set_keys(std::shared_ptr<ColumnKeys> keys) { keys_ = std::move(keys); }
  ColumnKeys* keys() const { return keys_.get(); }

  // Registers dbvault_seal on `db`. 58030 if that fails.
  Status register_function(sqlite3* db);

  // The result columns of `stmt` that show an encrypted column; empty when none does.
  ResultPlan plan(sqlite3_stmt* stmt) const;
  // The opened values of the current row's planned columns (nullopt for the others).
  // XX001 for a value that does not open (altered, moved, not sealed); 42501 / 58000 when the
  // key is not released to the session.
  Result<std::vector<std::optional<Value>>> decrypt_row(sqlite3_stmt* stmt, const ResultPlan& plan);

  // Seals one value (what dbvault_seal does).
  Result<Value> seal(const ColumnIdentity& column, const Value& value,
                     std::optional<std::int64_t> row);
  // The error the last failed dbvault_seal call raised, once.
  std::optional<Error> take_error() { return std::exchange(error_, std::nullopt); }
  void set_error(Error e) { error_ = std::move(e); }

 private:
  Result<ColumnCipher*> cipher_for(const std::string& table);
  Result<ColumnMode> mode_of(const ColumnIdentity& column) const;

  struct Held {
    crypto::TekHandle handle;
    ColumnCipher cipher;
  };
  const ColumnCatalog& catalog_;
  std::shared_ptr<ColumnKeys> keys_;
  std::map<std::string, Held> held_;  // by table ("main.t")
  std::optional<Error> error_;
};

}  // namespace dbvault::storage::columns
