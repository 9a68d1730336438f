// The vault module's public interface: open a policy store, log sessions in, execute the
// vault's SQL statements (parsed by grammar::parse) and decide whether a session may run a
// statement on a set of objects. docs/vault.md describes the concepts and every statement.
//
//   auto vault = Vault::open(options);                  // creates/migrates policy.db
//   auto session = vault->login("dba_alice", info);     // CONNECT rules run here
//   vault->execute(*session, grammar::parse("UNLOCK REALM pii PASSWORD '...'").value());
//   Status s = vault->check(*session, accesses);        // realms -> rules -> RBAC, audited
//
// Errors follow ARCHITECTURE.md §6: 42501 denied (realm, rule, RBAC, separation of duties),
// 28P01 wrong vault password / bad token, 28000 unlock lockout, 42704 unknown name, 42710
// duplicate, 22023 bad parameter, 55000 emergency pending, 58000 audit sink or store failure
// (the statement then changed nothing). Messages never carry a password or token.
//
// Thread-safety: every method may be called from any thread. A Session is used by one thread
// at a time. Policy changes are serialised and each publishes a new PolicySnapshot;
// decisions run on the snapshot current when they start, without locks.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "common/secret_string.h"
#include "crypto/password_hash.h"
#include "crypto/secret_bytes.h"
#include "grammar/ast.h"
#include "vault/access_resolver.h"
#include "vault/audit_sink.h"
#include "vault/decision.h"
#include "vault/policy_connector.h"
#include "vault/policy_snapshot.h"
#include "vault/session.h"

namespace dbvault::vault {

class PolicyStore;

// One account that open() creates on an empty store.
struct BootstrapAccount {
  std::string name;
  SecretString password;
};

// The accounts `dbvault init` creates, with the roles each receives.
struct BootstrapAccounts {
  BootstrapAccount dba{"dba", {}};            // DBA + ACCOUNT_MANAGER
  BootstrapAccount secadmin{"secadmin", {}};  // VAULT_ADMIN
  BootstrapAccount auditor{"auditor", {}};    // AUDIT_VIEWER
};

// The outcome of a master-key rotation (ALTER DATABASE ROTATE MASTER KEY), for its audit record.
struct MasterKeyRotation {
  std::string old_key_id;
  std::string new_key_id;
  std::string provider;  // the new key's provider: env | file | pkcs11 | kmip
};
// Re-wraps every TEK under a new master key: `key_id` names it (TO KEY_ID 'id'), or nullopt for
// the host's next key of the same provider. All or nothing (docs/keys.md, "Master key rotation").
using MasterKeyRotator =
    std::function<Result<MasterKeyRotation>(const std::optional<std::string>& key_id)>;

struct Options {
  std::filesystem::path policy_path;  // policy.db; created when missing
  // Opens policy_path (policy_connector.h): null, a plain SQLite file (the PostgreSQL module);
  // the server's opens it encrypted. Must stay usable for the Vault's lifetime.
  PolicyConnector policy_connector;
  AuditSink* audit = nullptr;    // REQUIRED; must outlive the Vault
  const Clock* clock = nullptr;  // default: the system clock; must outlive the Vault
  // Root of the token MAC key (the server passes a key derived from the MEK). REQUIRED,
  // non-empty, and the same across restarts or issued tokens stop verifying.
  crypto::SecretBytes token_root_key;
  crypto::Argon2Params argon2;                        // realm passwords and temporary grants
  int scram_iterations = 4096;                        // user password verifiers
  std::chrono::seconds default_token_lifetime{3600};  // unlock with the realm password
  int lockout_failures = 5;                           // failed unlocks per (user, realm) ...
  std::chrono::seconds lockout_window{900};           // ... within this window ...
  std::chrono::seconds lockout_duration{900};         // ... lock the pair out this long
  // Bootstrap: on an empty store, open() creates these three accounts in one transaction,
  // so that the duties are split between people from the first statement on and no single
  // account ever holds a separated pair (docs/vault.md §10). REQUIRED on an empty store:
  // three distinct, non-empty names and non-empty passwords (22023 otherwise). Ignored once
  // the store has users.
  BootstrapAccounts bootstrap;
  // The engine's access sets, for EXPLAIN VAULT of engine SQL (storage::SqliteAccessResolver
  // for the embedded engine). Optional: without one, EXPLAIN VAULT of engine SQL is 0A000.
  // Must outlive the Vault.
  const AccessResolver* access_resolver = nullptr;
  // Runs on the policy store right after it opens, before anything is read or bootstrapped:
  // the host attaches the audit anchors here (vault/audit_anchor.h), so that even the bootstrap
  // is anchored. An error fails open(). The store outlives the Vault's every use of it.
  std::function<Status(PolicyStore&)> on_store_open;
  // Who checks SQL privileges (decision.h, step 3): the vault's grants (kVault, the embedded
  // engine), or the host database itself (kHost: PostgreSQL's ACL check, for pgext/).
  Privileges privileges = Privileges::kVault;
  // ALTER DATABASE ROTATE MASTER KEY: the host's re-wrap of the key store (the vault checks
  // VAULT_ADMIN and audits). Optional: without one the statement is 0A000.
  MasterKeyRotator rotate_master_key;
};

// What a statement returns: a command tag and, for some statements, rows. The rows of UNLOCK
// REALM (token) and GRANT VAULT PASSWORD (password) hold a secret: show them to the caller
// once, never log them.
struct StatementResult {
  std::string tag;
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};

// The columns execute() returns for `statement` (empty for statements without rows), known
// before it runs: for a host's Describe of a prepared vault statement.
std::vector<std::string> result_columns(const ast::Statement& statement);

struct VaultImpl;
class KeyListener;  // vault/key_authorizer.h

// What CREATE / DROP TABLESPACE and the key rotations do once the vault allowed them
// (VAULT_ADMIN) and recorded them: the host's storage makes or removes the file and the key,
// or rotates the key (the server: its engine and key store, docs/encryption.md §9, §10).
// Errors are returned by execute() unchanged.
class TablespaceHost {
 public:
  virtual ~TablespaceHost() = default;
  virtual Status create_tablespace(const ast::CreateTablespace& statement) = 0;
  virtual Status drop_tablespace(const ast::DropTablespace& statement) = 0;
  virtual bool tablespace_exists(std::string_view name) const = 0;
  // ALTER TABLESPACE ts ROTATE ENCRYPTION KEY ("default": the engine database): returns once
  // the new key version is active; the re-encryption runs in the background. 0A000 here.
  virtual Status rotate_tablespace_key(std::string_view name);
  // ALTER TABLESPACE ts ENABLE ENCRYPTION USING '<cipher>': a rotation whose new key version has
  // `cipher` (docs/encryption.md §12.5), online like rotate_tablespace_key; nothing is done
  // when the active version already has it. 0A000 here.
  virtual Status change_tablespace_cipher(std::string_view name, ast::Cipher cipher);
  // ALTER TABLE t ROTATE ENCRYPTION KEY: rotates the key that protects t's pages when t is
  // alone in its tablespace; 0A000 (with the statement to use) otherwise. 0A000 here.
  virtual Status rotate_table_key(const ast::ObjectName& table);
};

// BACKUP DATABASE / RESTORE DATABASE once the vault allowed them (VAULT_ADMIN holding the
// BACKUP_OPERATOR right a DBA or ACCOUNT_MANAGER granted: docs/vault.md, "Backup and restore")
// and recorded the request: the host writes the encrypted backup of its stores, or restores one
// into a new data directory and verifies it (docs/encryption.md §10). Errors are returned by
// execute() unchanged.
struct BackupActor {
  std::string user;
  std::string ip_address;
  std::string session_id;
};
struct BackupOutcome {
  std::string path;       // the backup file written
  std::string backup_id;  // hex, as in the file's header
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
  SecretString restore_password;  // made for this backup; returned once, never logged
};
struct RestoreOutcome {
  std::string data_dir;  // the new data directory
  std::string backup_id;
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
  std::uint64_t audit_records = 0;  // records of the restored audit chain, all verified
};
class BackupHost {
 public:
  virtual ~BackupHost() = default;
  // Runs while the vault holds its policy-change lock: no policy version commits meanwhile, so
  // the policy store and the audit log of the backup agree (their anchors, docs/audit.md §10).
  virtual Result<BackupOutcome> backup(const ast::BackupDatabase& statement,
                                       const BackupActor& actor) = 0;
  virtual Result<RestoreOutcome> restore(const ast::RestoreDatabase& statement,
                                         const BackupActor& actor) = 0;
};

// What VERIFY AUDIT LOG and CREATE / DROP AUDIT HOLD do once the vault allowed them
// (AUDIT_VIEWER): the host's audit log walks its chain or records the hold (audit::Log,
// docs/audit.md §6-7). Errors are returned by execute() unchanged.
struct AuditVerification {
  bool ok = true;
  std::uint64_t records = 0;        // records checked
  std::uint64_t purged = 0;         // seqs covered by purge checkpoints
  std::uint64_t last_seq = 0;       // last seq found
  std::uint64_t first_bad_seq = 0;  // when !ok: the first seq missing, altered or out of place
  std::string problem;              // when !ok: what is wrong (no record content)
};
using AuditActor = BackupActor;
class AuditHost {
 public:
  virtual ~AuditHost() = default;
  virtual Result<AuditVerification> verify() = 0;
  // The seq of the audit_hold record written. 42710 / 22023 / 42704 as audit::Log.
  virtual Result<std::uint64_t> add_hold(const ast::CreateAuditHold& statement,
                                         const AuditActor& actor) = 0;
  virtual Result<std::uint64_t> drop_hold(const ast::DropAuditHold& statement,
                                          const AuditActor& actor) = 0;
};

class Vault {
 public:
  // Opens (creating, migrating) the policy store, bootstraps an empty one and publishes the
  // first snapshot. 22023 for missing options; 58030 store errors.
  static Result<std::unique_ptr<Vault>> open(Options options);
  ~Vault();

  // Starts a session for `user`: 28000 for an unknown user; CONNECT command rules run (42501
  // with the rule's MESSAGE). Audited (login / login_failed). Authentication itself (SCRAM)
  // is the caller's: it reads the verifier with scram_verifier().
  Result<Session> login(std::string_view user, SessionInfo info);
  std::optional<std::string> scram_verifier(std::string_view user) const;

  // Records a table (and its columns) and its owner, as the engine reports CREATE TABLE.
  // An object named by a realm or rule before it was registered is created without owner.
  // 42704 for an unknown owner.
  Status register_table(const ast::ObjectName& table, const std::vector<std::string>& columns,
                        std::string_view owner);

  // Executes one vault statement for `session`. Statements of other components (keys,
  // audit holds, engine SQL) are 0A000. On error nothing was changed.
  // EXPLAIN VAULT <engine SQL> returns the rows of explain() (columns object, check,
  // verdict, why) for the accesses Options::access_resolver finds, without running anything.
  Result<StatementResult> execute(Session& session, const ast::Statement& statement);

  // The rows of a read-only vault view, for AUDIT_VIEWER and VAULT_ADMIN (else 42501):
  //   vault.emergency_unlocks  every emergency request, its decision and whether it still
  //                            needs its post-incident review (needs_review)
  //   vault.tokens             token records (public id, user, realm, issued, expires,
  //                            revoked, the grant that issued it) — never the token itself
  //   vault.realms             realms with owner, mode, state, password requirement, object count
  // 42704 for another name.
  Result<StatementResult> query_view(Session& session, std::string_view view);

  // The decision for `accesses`, without writing audit events (see decision.h).
  Decision decide(Session& session, std::span<const Access> accesses) const;
  // decide() and write its events; ok when allowed. 58000 if an event cannot be written
  // (the statement must then not run). `statement`, when given, is recorded as the events'
  // `query` detail (the audit log replaces its literals by '?').
  Status check(Session& session, std::span<const Access> accesses, std::string_view statement = {});
  // EXPLAIN VAULT rows for an access set.
  std::vector<ExplainRow> explain(Session& session, std::span<const Access> accesses) const;

  // Rebuilds the snapshot from the store: for a host whose other processes change the same
  // store (pgext/'s backends), when its shared policy version says the store moved. 58030 on
  // store errors (the previous snapshot stays).
  Status reload();

  // The current snapshot, e.g. to resolve object names once per prepared statement.
  std::shared_ptr<const PolicySnapshot> snapshot() const;
  // Moves every time a new snapshot is published (a policy change, reload()): a host's cache
  // of object ids resolved against snapshot() is valid while this has not moved (one atomic
  // load). Thread-safe.
  std::uint64_t snapshot_generation() const;

  // Who is told when access may have been taken away, so that released keys are withdrawn
  // (vault::KeyAuthorizer, docs/vault.md §12): unlocks_ended() on LOCK REALM / LOCK ALL
  // REALMS, policy_changed() after every policy change. nullptr: nobody. REQUIRES: `listener`
  // outlives the Vault or is reset first. Thread-safe.
  void set_key_listener(KeyListener* listener);
  // Who carries out CREATE / DROP TABLESPACE (nullptr: they are 0A000). REQUIRES: `host`
  // outlives the Vault or is reset first. Thread-safe.
  void set_tablespace_host(TablespaceHost* host);
  // Who carries out BACKUP / RESTORE DATABASE (nullptr: they are 0A000). REQUIRES: `host`
  // outlives the Vault or is reset first. Thread-safe.
  void set_backup_host(BackupHost* host);
  // Who carries out VERIFY AUDIT LOG and CREATE / DROP AUDIT HOLD (nullptr: they are 0A000).
  // REQUIRES: `host` outlives the Vault or is reset first. Thread-safe.
  void set_audit_host(AuditHost* host);

 private:
  explicit Vault(std::unique_ptr<VaultImpl> impl);
  Result<StatementResult> explain_statement(Session& session, const ast::Statement& inner);
  std::unique_ptr<VaultImpl> impl_;
};

}  // namespace dbvault::vault
