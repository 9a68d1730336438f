// TablespaceCatalog: the engine's record of its encrypted tablespaces (docs/encryption.md §9) —
// which exist, with which algorithm, and which tables each holds, with the CREATE TABLE text
// of each (the schema a session's connection compiles against before it holds the key).
//
// Persisted in the engine database itself (main.dbvault_tablespaces and
// main.dbvault_tablespace_tables, encrypted under the default tablespace's key, never reachable
// by a user's statement: the authorizer refuses every dbvault_* table); kept in memory too, so
// that the key layer's questions (vault::ScopeCatalog: "what does tablespace:ts protect?") are
// answered without I/O.
//
// Names: a tablespace name is 1..48 ASCII letters, digits and '_', not starting with a digit,
// folded to lower case; "main", "temp", "default" and names starting with "sqlite" or
// "dbvault" are reserved. Its tables are the SQLite schema <name>: a table t in it is
// `<name>.t`, the one name the vault knows it by.
//
// Files: a tablespace's file is <engine database directory>/ts_<file id>.db (with -wal, -shm,
// -tde, -tdv beside it), the file id 32 random hex digits chosen at CREATE TABLESPACE and kept
// in the catalog, so that no file name shows a tablespace's name (docs/encryption.md §8.2).
// A directory of an older version (files named ts_<name>.db) is migrated by load(): the new id
// is recorded with a "moving" mark first, then each file renamed on its own (one already
// renamed is skipped), then the mark cleared, so a crash midway is completed by the next load.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "crypto/aead.h"
#include "vault/key_authorizer.h"

namespace dbvault::storage {

struct TablespaceTable {
  std::string name;  // folded to lower case
  std::string sql;   // CREATE TABLE "<ts>"."<name>" (...), as SQLite ran it
};

struct TablespaceInfo {
  std::string name;
  crypto::AeadAlgorithm algorithm = crypto::AeadAlgorithm::kAes256Gcm;
  std::vector<TablespaceTable> tables;
  std::string file_id;  // 32 hex digits: the file is ts_<file_id>.db
};

class TablespaceCatalog final : public vault::ScopeCatalog {
 public:
  // The folded name, or 22023 naming the rule it breaks.
  static Result<std::string> normalize_name(std::string_view name);
  // A fresh file id (32 random hex digits). 58000 if the random source fails.
  static Result<std::string> new_file_id();
  // <dir>/ts_<file id>.db.
  static std::filesystem::path file_of(const std::filesystem::path& dir,
                                       const TablespaceInfo& info);
  // The file of `info` and every side file SQLite and the VFS keep beside it.
  static std::vector<std::filesystem::path> files_of(const std::filesystem::path& dir,
                                                     const TablespaceInfo& info);
  // "tablespace:<name>".
  static crypto::KeyScope scope_of(std::string_view name);

  // Creates the bookkeeping tables if missing and loads them; migrates the files in `dir` (the
  // tablespace directory) of tablespaces recorded by an older version, named ts_<name>.db.
  // 58030 on error (a file present under both names too).
  Status load(sqlite3* db, const std::filesystem::path& dir);

  std::optional<TablespaceInfo> find(std::string_view name) const;
  // The file of tablespace `name` (any case), if it exists.
  std::optional<std::filesystem::path> file(const std::filesystem::path& dir,
                                            std::string_view name) const;
  std::vector<TablespaceInfo> list() const;
  // The tablespace holding table `name` (any case), if any.
  std::optional<std::string> tablespace_of_table(std::string_view name) const;
  // Changes with every add/remove: connections compare it to resync their attachments.
  std::uint64_t epoch() const { return epoch_.load(); }

  // Persist (on `db`, the engine database), then update memory. On error nothing changed.
  // 42710 if the tablespace or table exists. REQUIRES: info.file_id from new_file_id().
  Status add(sqlite3* db, const TablespaceInfo& info);
  Status add_table(sqlite3* db, std::string_view tablespace, const TablespaceTable& table);
  // Forgets table `name` of `tablespace` (the undo of add_table); unknown ones are ignored.
  Status remove_table(sqlite3* db, std::string_view tablespace, std::string_view name);
  // Drops the tablespace and its table records. 42704 if absent.
  Status remove(sqlite3* db, std::string_view name);
  // Replaces the table records of `tablespace` by `tables` (what its file holds now).
  Status set_tables(sqlite3* db, std::string_view tablespace, std::vector<TablespaceTable> tables);

  // vault::ScopeCatalog: tablespace:<name> protects the tables `<name>.<t>`.
  std::vector<ast::ObjectRef> objects(const crypto::KeyScope& scope) const override;
  std::vector<crypto::KeyScope> scopes() const override;

 private:
  mutable std::mutex mu_;
  std::map<std::string, TablespaceInfo, std::less<>> spaces_;
  std::atomic<std::uint64_t> epoch_{1};
};

}  // namespace dbvault::storage
