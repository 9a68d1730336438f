// BackendVault: the vault as one PostgreSQL backend holds it — the master key, the key store,
// the audit sink, a vault::Vault over the cluster's policy store, and the backend's one
// vault::Session (its unlocks and tokens live in this process's memory only). No PostgreSQL
// header is needed here: the edge (module.cpp, executor_hook.cpp, sql_functions.cpp) passes
// plain values in and turns the Status it gets back into ereport.
//
// Every backend opens its own Vault on the same policy.db; a policy change made by one reaches
// the others through reload(), which the edge calls when the shared policy version moved.
//
// Thread-safety: one backend, one thread.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "pgext/key_store.h"
#include "pgext/relation_access.h"
#include "vault/vault.h"

namespace dbvault::pgext {

struct BackendOptions {
  std::filesystem::path policy_path;        // policy.db (dbvault.policy_path)
  std::filesystem::path keys_dir;           // keys.db and, with the file provider, master.key
  std::unique_ptr<vault::AuditSink> audit;  // REQUIRED: where the vault's events go
  std::filesystem::path audit_dir;          // the audit store, for audit_records()
  std::string master_key_provider;        // "file" (keys/master.key, made on first start) or "env"
  std::filesystem::path test_clock_file;  // dbvault.test_clock_file (test_clock.h); empty: none
  std::string user;                       // the backend's authenticated PostgreSQL role
  vault::SessionInfo info;                // its connection attributes (command-rule factors)
};

class BackendVault {
 public:
  // Opens everything, creating what is missing on the cluster's first start (the directories,
  // with the file provider the master key, the policy TEK, the policy store and its three
  // bootstrap accounts, docs/postgresql.md): serialised between processes by keys_dir's
  // StoreLock. Then logs `user` in: a role the vault does not know gets a session
  // that no realm admits (user id 0). 58000 / 58030 when a piece does not open; 42501 when a
  // CONNECT command rule refuses the user. Nothing half-open is returned.
  static Result<std::unique_ptr<BackendVault>> open(BackendOptions options);
  ~BackendVault();

  // Whether a vault statement moved the policy that the other backends must rebuild their
  // snapshots from (the shared version counter, module.h).
  struct PolicyMove {
    bool moved = false;       // the store's policy version may be past the other backends'
    bool own_current = true;  // this backend's snapshot has it (false: reload it too)
  };

  // Parses one vault statement and executes it for this backend's session.
  // 42601 for a syntax error; 0A000 for SQL that is not a vault statement.
  // `move` (when given) is set on success and on failure: moved when the snapshot's policy version
  // moved (a committed change; UNLOCK, LOCK and the views change none — their state is not in the
  // snapshot), and also when the statement failed with class 58 or XX, which may follow a
  // commit whose snapshot rebuild failed (then own_current is false): the other backends then
  // reload too, and a stale snapshot is never kept on an unsure outcome.
  Result<vault::StatementResult> execute(std::string_view sql, PolicyMove* move = nullptr);

  // One of the vault's views (vault::Vault::query_view: `vault.realms`, `vault.tokens`,
  // `vault.emergency_unlocks`) for this backend's session, whose roles decide what it shows.
  // 42704 for another name.
  Result<vault::StatementResult> query_view(std::string_view name) {
    return vault_->query_view(*session_, name);
  }

  // The realm and command-rule check (decision.h steps 1-2; PostgreSQL's ACL is step 3) of
  // the relations one query touches, audited; ok when allowed. `query` is recorded as the
  // events' `query` detail with its literals replaced.
  Status check(const std::vector<RelationAccess>& relations, std::string_view query);

  // The fast path of check() (pg_access.h, access_memo.h): the relations already resolved to
  // the vault's object ids by resolve(), under the snapshot of the same
  // snapshot_generation(). True only when the session may make every access and the decision
  // has nothing to audit (no denial, no simulated one); false means "take the full check",
  // which audits and explains. Writes nothing.
  bool allows_silently(std::span<const vault::Access> accesses);
  // may_read_rows() of accesses already resolved (SELECT of every column).
  bool may_read_resolved(std::span<const vault::Access> accesses);
  // The relations as the vault's accesses (to_vault_accesses) against the current snapshot.
  std::vector<vault::Access> resolve(const std::vector<RelationAccess>& relations) const;
  // Moves whenever the snapshot that resolve() and the decisions use is replaced (a policy
  // change here or in another backend, reload()): ids resolved under another generation are
  // stale. One atomic load.
  std::uint64_t snapshot_generation() const { return vault_->snapshot_generation(); }

  // The body check (docs/vault.md §2.2) of accesses made by code `owner` (a PostgreSQL role)
  // wrote — a view's body, a function's — that this session runs: check() for a session of
  // `owner`'s vault user that holds no unlock (standing authorizations only; a role the vault
  // does not know passes no realm), with this session's connection factors. A refusal is
  // 42501 with a detail naming the owner.
  Status check_as_body_owner(std::string_view owner, const std::vector<RelationAccess>& relations,
                             std::string_view query);

  // True when this session may read every column of the relations (the realm and
  // command-rule steps for a SELECT of each column, decided without auditing). False: an
  // error describing one of their rows must not show its values.
  bool may_read_rows(const std::vector<RelationAccess>& relations);

  // EXPLAIN VAULT of a query PostgreSQL has planned (docs/vault.md §3a): every check the
  // realm and command-rule steps would make for these relations, without running anything
  // or writing audit events. Columns object, check, verdict, why.
  vault::StatementResult explain(const std::vector<RelationAccess>& relations);

  // 42501 when any of the relations (or their columns) is in a realm: for the statements
  // that would take an object out of its realm by changing its name (ALTER ... RENAME, SET
  // SCHEMA), since realm membership is by name.
  Status refuse_realm_objects(const std::vector<RelationAccess>& relations);

  // 42501 when a table or column in a realm lives in PostgreSQL schema `pg_schema`: for
  // ALTER SCHEMA ... RENAME (the tables would leave their realms) and DROP SCHEMA (it would
  // drop them without the DROP check).
  Status refuse_schema_with_realm_objects(std::string_view pg_schema);
  // 42501 while any realm protects an object (vault enabled): for DROP OWNED and REASSIGN
  // OWNED, which drop or re-own tables past the per-table checks. `command`: the tag.
  Status refuse_while_realms_protect(std::string_view command);

  // Separation of duties (docs/vault.md §3) for PostgreSQL's own statements: a holder of a
  // vault-side role (VAULT_ADMIN, AUDIT_VIEWER) may not create, change or drop objects, grant
  // privileges or manage roles — `command` is the statement's tag. 42501 and a durable
  // sod_violation record; 58000 if the record cannot be written.
  Status check_duties(std::string_view command);

  // Writes one durable data_export record per relation (COPY ... TO, after check() allowed
  // it). 58000 when it cannot be written: the export must then not run.
  Status record_export(const std::vector<RelationAccess>& relations, std::string_view query);

  // Every durable audit record as its JSONL export line (docs/audit.md §2), for a session
  // holding AUDIT_VIEWER (else 42501). 58000 / XX001 when the store cannot be read.
  Result<std::vector<std::string>> audit_records();

  // Rebuilds the policy snapshot from the store (another backend changed it).
  Status reload() { return vault_->reload(); }

  const vault::Session& session() const { return *session_; }

 private:
  BackendVault() = default;
  Status open_locked(BackendOptions& options);
  // An event of this session (user, address, session id), and writing one durably (58000).
  audit::Event session_event(audit::EventType type) const;
  Status record_durably(const audit::Event& e);

  std::unique_ptr<Clock> clock_;  // test_clock.h: the system's, or the tests' offset clock
  Keys keys_;
  std::unique_ptr<vault::AuditSink> sink_;
  std::unique_ptr<vault::Vault> vault_;
  std::optional<vault::Session> session_;
  std::filesystem::path audit_dir_;
};

}  // namespace dbvault::pgext
