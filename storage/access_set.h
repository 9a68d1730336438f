// SqliteAccessResolver: the access set of an SQL statement for the embedded SQLite engine, for
// EXPLAIN VAULT: the statement is compiled (never run) on a read-only connection of the engine
// database by storage::compile, the same authorizer and completion the engine's connections
// enforce with (storage/authorizer.h has the mapping), and resolved against the snapshot
// (a column the vault does not know counts as its table; an unknown table is kNoId, which
// only a DBA passes). Statements the engine would refuse outright (ATTACH, load_extension,
// ...) are errors here too (42501).
//
// The Vault takes its resolver at open, before an Engine exists: open this one first.
// Thread-safety: one read-only connection, used under a mutex.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

#include "vault/access_resolver.h"

struct sqlite3;

namespace dbvault::storage {

class Authorizer;
namespace vfs {
class TdeVfs;
}

class SqliteAccessResolver final : public vault::AccessResolver {
 public:
  // Opens `database` read-only, through `vfs` when given (the engine's encrypting VFS, kept
  // alive by the resolver). 58030 if it cannot be opened; with a VFS, 58000 if the key does
  // not decrypt it, XX001 if its schema does not authenticate.
  static Result<std::unique_ptr<SqliteAccessResolver>> open(const std::filesystem::path& database,
                                                            std::shared_ptr<vfs::TdeVfs> vfs = {});
  ~SqliteAccessResolver() override;

  // 42601: not exactly one statement, or a syntax error; 42P01 / 42703: unknown table or
  // column; 42501: a statement the engine refuses; the engine's message otherwise (42000).
  Result<vault::StatementAccesses> accesses(const vault::PolicySnapshot& snap,
                                            std::string_view sql) const override;

 private:
  SqliteAccessResolver(sqlite3* db, std::shared_ptr<vfs::TdeVfs> vfs);
  std::shared_ptr<vfs::TdeVfs> vfs_;  // outlives db_
  sqlite3* db_;
  std::unique_ptr<Authorizer> auth_;
  mutable std::mutex mu_;
};

}  // namespace dbvault::storage
