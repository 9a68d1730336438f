// PolicyStore: the vault's durable state in SQLite (policy.db): users (SCRAM-SHA-256
// verifiers), roles and memberships, table owners and privileges, realms, their objects and
// authorizations, realm passwords and temporary grants (Argon2id PHC strings), token records
// (never the token), failed unlocks and lockouts, emergency requests, command rules and rule
// sets (canonical SQL), and the vault-enabled flag. docs/vault.md §"Policy store" lists the
// tables.
//
// The database runs in WAL mode with foreign keys on; its schema is versioned in the
// schema_migrations table and upgraded by open(). Every change runs in one transaction
// (write()): on error nothing was written.
//
// Thread-safety: all methods may be called from any thread; the store serialises them with
// one mutex (the policy store is not on the decision path: decisions read PolicySnapshot).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>

#include "common/clock.h"
#include "common/result.h"
#include "common/sqlite_db.h"
#include "vault/policy_connector.h"
#include "vault/policy_data.h"

namespace dbvault::vault {

class PolicyStore {
 public:
  using Db = sqlite::Database;

  // Opens or creates the store at `path` and applies pending migrations. 58030 if the file
  // cannot be opened or migrated; XX001 if its schema is newer than this build knows.
  // `up_to` stops the migrations at that version (REQUIRES 1 <= up_to <= schema_version()):
  // for tests that build a store as an older release wrote it.
  static Result<std::unique_ptr<PolicyStore>> open(const std::filesystem::path& path,
                                                   int up_to = schema_version());
  // The same, the connection made by `connect` (policy_connector.h; null: a plain file). Its
  // errors are returned as they are (e.g. 58000 for a wrong key).
  static Result<std::unique_ptr<PolicyStore>> open(const std::filesystem::path& path,
                                                   const PolicyConnector& connect,
                                                   int up_to = schema_version());

  // The schema version this build writes.
  static int schema_version();

  // Everything a snapshot needs. `now` filters out emergency access that already ended.
  Result<PolicyData> load(TimePoint now);

  // Runs `change` in one transaction (BEGIN IMMEDIATE .. COMMIT) and bumps the policy version.
  // If `change` or the commit fails, the transaction is rolled back and the error returned.
  Status write(const std::function<Status(Db&)>& change);
  // As write(), for state that is not part of the policy snapshot (failed unlocks, lockouts,
  // token records): the policy version stays, so no snapshot needs rebuilding.
  Status write_state(const std::function<Status(Db&)>& change);

  // Runs `query` (reads only) under the store's lock, outside any transaction.
  Status read(const std::function<Status(Db&)>& query);

  // Called inside every write() transaction, after the change and the version bump and before
  // the commit, with the new policy version; an error rolls the change back. The audit anchor
  // (vault/audit_anchor.h) records the version there. Null (the default) removes it.
  using VersionHook = std::function<Status(Db&, std::uint64_t new_version)>;
  void set_version_hook(VersionHook hook);

 private:
  explicit PolicyStore(Db db) : db_(std::move(db)) {}
  Status migrate(std::size_t up_to);
  Status transaction(const std::function<Status(Db&)>& change, bool bump_version);

  std::mutex mu_;
  Db db_;
  VersionHook version_hook_;  // guarded by mu_
};

// Helpers for the statements the vault runs against the store.
namespace store {
// The id of the user/role/realm named `name`, or 0. Errors only on SQLite failure.
Result<std::uint32_t> user_id(PolicyStore::Db& db, std::string_view name);
Result<std::uint32_t> role_id(PolicyStore::Db& db, std::string_view name);
Result<std::uint32_t> realm_id(PolicyStore::Db& db, std::string_view name);
// The object (schema, table, column) — inserting it, without owner, when it is unknown.
Result<std::uint32_t> ensure_object(PolicyStore::Db& db, std::string_view schema,
                                    std::string_view table, std::string_view column);
// Canonical schema of a parsed name: "main" when unqualified.
std::string schema_of(const ast::ObjectName& name);
}  // namespace store

}  // namespace dbvault::vault
