// SqliteAccessResolver: the access set of an SQL statement for the embedded SQLite engine,
// found by preparing (never running) it on the engine's database with an authorizer that
// records every table and column SQLite says the statement would touch:
//   read of t.c        -> (SELECT, t) and (SELECT, t.c)
//   UPDATE of t.c      -> (UPDATE, t) and (UPDATE, t.c)
//   INSERT / DELETE t  -> (INSERT / DELETE, t)
//   DROP / ALTER t     -> (DROP / ALTER, t);  CREATE TABLE t -> (CREATE, t)
// each once, in the order SQLite reports them. SQLite's own tables (sqlite_*) are left out.
// Objects are resolved against the policy snapshot (a column the vault does not know counts
// as its table; an unknown table is kNoId, which only a DBA passes).
//
// Thread-safety: one read-only connection, used under a mutex.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

#include "vault/access_resolver.h"

struct sqlite3;

namespace dbvault::storage {

class SqliteAccessResolver final : public vault::AccessResolver {
 public:
  // Opens `database` read-only. 58030 if it cannot be opened.
  static Result<std::unique_ptr<SqliteAccessResolver>> open(const std::filesystem::path& database);
  ~SqliteAccessResolver() override;

  // 42601: not exactly one statement, or a syntax error; 42P01 / 42703: unknown table or
  // column; the engine's message otherwise (42000).
  Result<vault::StatementAccesses> accesses(const vault::PolicySnapshot& snap,
                                            std::string_view sql) const override;

 private:
  explicit SqliteAccessResolver(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  mutable std::mutex mu_;
};

}  // namespace dbvault::storage
