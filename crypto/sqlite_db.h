// Internal to crypto/: RAII owners for the SQLite handles of keys/keys.db.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace dbvault::crypto::internal {

class SqliteStmt {
 public:
  SqliteStmt(sqlite3_stmt* stmt) : stmt_(stmt) {}  // NOLINT(google-explicit-constructor)
  SqliteStmt& bind(int index, std::string_view text);
  SqliteStmt& bind(int index, std::int64_t value);
  SqliteStmt& bind(int index, std::span<const std::uint8_t> blob);
  // true: a row is available; false: done. 58030 on an SQLite error.
  Result<bool> step();
  std::string text(int column) const;
  std::int64_t int64(int column) const;
  std::vector<std::uint8_t> blob(int column) const;

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
};

class SqliteDb {
 public:
  // Opens (creating) `path` with synchronous=FULL and a busy timeout. 58030 on failure.
  static Result<SqliteDb> open(const std::filesystem::path& path);
  Status exec(std::string_view sql);
  Result<SqliteStmt> prepare(std::string_view sql);
  // Runs `sql` that returns nothing (after binding through `bind`), expecting SQLITE_DONE.
  Status run(SqliteStmt& stmt);

 private:
  struct Close {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  Error error(std::string_view what) const;
  std::unique_ptr<sqlite3, Close> db_;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit() succeeded.
class SqliteTransaction {
 public:
  static Result<SqliteTransaction> begin(SqliteDb& db);
  SqliteTransaction(SqliteTransaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  SqliteTransaction(const SqliteTransaction&) = delete;
  ~SqliteTransaction();
  Status commit();

 private:
  explicit SqliteTransaction(SqliteDb* db) : db_(db) {}
  SqliteDb* db_;
};

}  // namespace dbvault::crypto::internal
