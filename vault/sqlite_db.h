// Internal to vault/: RAII owners for the SQLite handles of policy.db, with typed binding.
// SQLite errors are translated here into 58030 errors naming the policy store.
// Thread-safety: one PolicyDb per thread at a time (the store serialises its use).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"

namespace dbvault::vault::internal {

class PolicyStmt {
 public:
  explicit PolicyStmt(sqlite3_stmt* stmt) : stmt_(stmt) {}

  // Binds the arguments to parameters 1..n in order. Strings are copied; an empty optional
  // binds NULL.
  template <typename... Args>
  PolicyStmt& bind_all(const Args&... args) {
    int i = 0;
    (bind_one(++i, args), ...);
    return *this;
  }
  // true: a row is available; false: done. 58030 on an SQLite error.
  Result<bool> step();
  std::string text(int column) const;
  std::int64_t int64(int column) const;
  bool is_null(int column) const;

 private:
  void bind_one(int i, std::string_view v);
  void bind_one(int i, const std::string& v) { bind_one(i, std::string_view(v)); }
  void bind_one(int i, const char* v) { bind_one(i, std::string_view(v)); }
  void bind_one(int i, std::int64_t v);
  void bind_one(int i, int v) { bind_one(i, static_cast<std::int64_t>(v)); }
  void bind_one(int i, std::uint32_t v) { bind_one(i, static_cast<std::int64_t>(v)); }
  void bind_one(int i, bool v) { bind_one(i, static_cast<std::int64_t>(v ? 1 : 0)); }
  void bind_one(int i, std::nullopt_t);
  template <typename T>
  void bind_one(int i, const std::optional<T>& v) {
    if (v)
      bind_one(i, *v);
    else
      bind_one(i, std::nullopt);
  }

  struct Finalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
};

class PolicyDb {
 public:
  // Opens (creating) `path` in WAL mode with foreign keys on, synchronous=FULL and a busy
  // timeout. 58030 on failure.
  static Result<PolicyDb> open(const std::filesystem::path& path);
  Status exec(std::string_view sql);
  Result<PolicyStmt> prepare(std::string_view sql);
  // Prepares, binds and runs a statement that returns no rows.
  template <typename... Args>
  Status run(std::string_view sql, const Args&... args) {
    auto st = prepare(sql);
    if (!st) return std::move(st).error();
    st->bind_all(args...);
    auto r = st->step();
    if (!r) return std::move(r).error();
    return ok_status();
  }
  std::int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_.get()); }
  int changes() const { return sqlite3_changes(db_.get()); }

 private:
  struct Close {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  explicit PolicyDb(sqlite3* db) : db_(db) {}
  Error error(std::string_view what) const;
  std::unique_ptr<sqlite3, Close> db_;
};

// BEGIN IMMEDIATE on begin(); ROLLBACK on destruction unless commit() succeeded.
class PolicyTransaction {
 public:
  static Result<PolicyTransaction> begin(PolicyDb& db);
  PolicyTransaction(PolicyTransaction&& o) noexcept : db_(std::exchange(o.db_, nullptr)) {}
  PolicyTransaction(const PolicyTransaction&) = delete;
  PolicyTransaction& operator=(const PolicyTransaction&) = delete;
  ~PolicyTransaction();
  Status commit();

 private:
  explicit PolicyTransaction(PolicyDb* db) : db_(db) {}
  PolicyDb* db_;
};

}  // namespace dbvault::vault::internal
