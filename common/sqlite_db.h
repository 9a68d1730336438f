// RAII owners for SQLite handles, shared by the stores that keep their state in SQLite (the
// key store keys/keys.db, the policy store policy.db). Errors are 58030 (io_error) and name
// the store, so a user sees which file failed.
// Thread-safety: a Database is used by one thread at a time (opened with SQLITE_OPEN_NOMUTEX);
// its owner serialises access.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace dbvault::sqlite {

class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt, std::string label)
      : stmt_(stmt), label_(std::move(label)) {}

  // Binds one parameter (1-based). Strings and blobs are copied.
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const std::string& text) {
    return bind(index, std::string_view(text));
  }
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, std::int64_t{value}); }
  Statement& bind(int index, std::uint32_t value) { return bind(index, std::int64_t{value}); }
  Statement& bind(int index, bool value) { return bind(index, std::int64_t{value ? 1 : 0}); }
  Statement& bind(int index, std::span<const std::uint8_t> blob);
  Statement& bind(int index, std::nullopt_t);
  template <typename T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind(index, std::nullopt);
  }
  // Binds the arguments to parameters 1..n in order.
  template <typename... Args>
  Statement& bind_all(const Args&... args) {
    int i = 0;
    (bind(++i, args), ...);
    return *this;
  }

  // true: a row is available; false: done. 58030 on an SQLite error.
  Result<bool> step();
  std::string text(int column) const;
  std::int64_t int64(int column) const;
  std::vector<std::uint8_t> blob(int column) const;
  bool is_null(int column) const;

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
  std::string label_;
};

struct OpenOptions {
  std::string label;  // names the store in errors, e.g. "policy store"
  bool wal = false;   // journal_mode=WAL (readers do not block the writer)
};

class Database {
 public:
  // Opens (creating, mode 0600) `path` with synchronous=FULL, foreign keys on and a busy
  // timeout.
  // 58030 on failure.
  static Result<Database> open(const std::filesystem::path& path, OpenOptions options);
  // Takes ownership of `db`, a connection its caller opened (e.g. through an encrypting VFS,
  // which the stores in common/ must not know), and applies what open() applies after opening:
  // journal_mode=WAL when options.wal, synchronous=FULL, foreign keys on. REQUIRES: `db` is
  // not null. 58030 on failure (the connection is closed).
  static Result<Database> adopt(sqlite3* db, OpenOptions options);
  Status exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);
  // Runs a prepared statement that returns no rows.
  Status run(Statement& stmt);
  // Prepares, binds and runs a statement that returns no rows.
  template <typename... Args>
  Status run(std::string_view sql, const Args&... args) {
    auto st = prepare(sql);
    if (!st) return std::move(st).error();
    st->bind_all(args...);
    return run(*st);
  }
  std::int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_.get()); }
  int changes() const { return sqlite3_changes(db_.get()); }

 private:
  struct Close {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  Database(sqlite3* db, std::string label) : db_(db), label_(std::move(label)) {}
  Error error(std::string_view what) const;
  std::unique_ptr<sqlite3, Close> db_;
  std::string label_;
};

// BEGIN IMMEDIATE on begin(); ROLLBACK on destruction unless commit() succeeded.
class Transaction {
 public:
  static Result<Transaction> begin(Database& db);
  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  Status commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

}  // namespace dbvault::sqlite
