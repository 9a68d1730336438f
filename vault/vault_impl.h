// Internal to vault/: the state behind Vault and the statement executors, implemented in
// vault.cpp (open, login, dispatch, shared helpers), exec_realm.cpp, exec_unlock.cpp,
// exec_rules.cpp, exec_accounts.cpp and exec_emergency.cpp.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

#include "vault/credentials.h"
#include "vault/policy_store.h"
#include "vault/vault.h"

namespace dbvault::vault {

struct VaultImpl {
  VaultImpl(Options o, TokenMac mac) : opts(std::move(o)), token_mac(std::move(mac)) {}

  Options opts;
  SystemClock system_clock;
  const Clock* clock = nullptr;
  std::unique_ptr<PolicyStore> store;
  SnapshotHolder holder;
  TokenMac token_mac;
  std::mutex change_mu;                    // one policy change (write + publish) at a time
  PolicySnapshot::ParseCache parse_cache;  // stored rule SQL -> parse; used by refresh()
  // Vault::set_key_listener: told when access may have been taken away (key_authorizer.h).
  std::atomic<KeyListener*> key_listener{nullptr};
  std::atomic<TablespaceHost*> tablespace_host{nullptr};  // Vault::set_tablespace_host
  std::atomic<BackupHost*> backup_host{nullptr};          // Vault::set_backup_host
  std::atomic<AuditHost*> audit_host{nullptr};            // Vault::set_audit_host

  TimePoint now() const { return clock->now(); }
  std::int64_t now_us() const { return now().time_since_epoch().count(); }
  std::shared_ptr<const PolicySnapshot> snap() const { return holder.load(); }

  // Rebuilds and publishes the snapshot from the store.
  Status refresh();
  // Runs `change` in one store transaction and records `event` durably before committing:
  // record, then commit. A failed audit write rolls the change back (58000); a crash after
  // the commit cannot lose the record, which is on disk before the commit starts. Then
  // publishes a new snapshot. `durable` must stay true (it is there for the callers that
  // spell it out); tests/vault/durable_events_test.cpp fails on any record written otherwise.
  Status change(const std::function<Status(PolicyStore::Db&)>& fn, const audit::Event& event,
                bool durable = true);
  // change(), then the statement's command tag: what most executors return.
  Result<StatementResult> apply_change(std::string tag,
                                       const std::function<Status(PolicyStore::Db&)>& fn,
                                       const audit::Event& event, bool durable = true);
  // As change() (durable record, then commit), for state outside the snapshot (failed
  // unlocks, lockouts, token records): nothing is republished.
  Status record_state(const std::function<Status(PolicyStore::Db&)>& fn, const audit::Event& event,
                      bool durable = true);
  // Records an event; a failure becomes 58000 "audit log unavailable: ...". `durable` for
  // every record that proves a change or a violation (docs/vault.md §11).
  Status audit(const audit::Event& event, bool durable);
  audit::Event event(audit::EventType type, const Session& s, std::string realm = {}) const;

  // Separation of duties: ok when the session holds `role`; else records sod_violation and
  // returns 42501 naming the role and the statement.
  Status require_role(const Session& s, std::uint32_t role, std::string_view statement);
  // An owner of `realm` (OWNER, AUTHORIZE ... AS OWNER) or VAULT_ADMIN.
  Status require_owner_or_admin(const Session& s, const RealmInfo& realm,
                                std::string_view statement);
  Status sod_violation(const Session& s, std::string_view role, std::string_view statement);

  // The realm named `name`, or 42704.
  Result<std::pair<rules::RealmId, const RealmInfo*>> realm(const PolicySnapshot& snap,
                                                            std::string_view name) const;

  // Executors, one per statement form.
  Result<StatementResult> run(Session& s, const ast::CreateRealm& st);
  Result<StatementResult> run(Session& s, const ast::AlterRealmObjects& st);
  Result<StatementResult> run(Session& s, const ast::AlterRealmAuthorize& st);
  Result<StatementResult> run(Session& s, const ast::AlterRealmUnauthorize& st);
  Result<StatementResult> run(Session& s, const ast::AlterRealmSet& st);
  Result<StatementResult> run(Session& s, const ast::DropRealm& st);
  Result<StatementResult> run(Session& s, const ast::UnlockRealm& st);
  Result<StatementResult> run(Session& s, const ast::LockRealm& st);
  Result<StatementResult> run(Session& s, const ast::GrantVaultPassword& st);
  Result<StatementResult> run(Session& s, const ast::RevokeVaultPassword& st);
  Result<StatementResult> run(Session& s, const ast::RevokeVaultToken& st);
  Result<StatementResult> run(Session& s, const ast::EmergencyUnlock& st);
  Result<StatementResult> run(Session& s, const ast::DecideEmergencyUnlock& st);
  Result<StatementResult> run(Session& s, const ast::ReviewEmergencyUnlock& st);
  Result<StatementResult> run(Session& s, const ast::CreateCommandRule& st);
  Result<StatementResult> run(Session& s, const ast::AlterCommandRule& st);
  Result<StatementResult> run(Session& s, const ast::DropCommandRule& st);
  Result<StatementResult> run(Session& s, const ast::CreateRuleSet& st);
  Result<StatementResult> run(Session& s, const ast::DropRuleSet& st);
  Result<StatementResult> run(Session& s, const ast::SetDatabaseVault& st);
  Result<StatementResult> run(Session& s, const ast::RotateMasterKey& st);  // exec_keys.cpp
  Result<StatementResult> run(Session& s, const ast::CreateUser& st);
  Result<StatementResult> run(Session& s, const ast::AlterUser& st);
  Result<StatementResult> run(Session& s, const ast::DropUser& st);
  Result<StatementResult> run(Session& s, const ast::CreateRole& st);
  Result<StatementResult> run(Session& s, const ast::DropRole& st);
  Result<StatementResult> run(Session& s, const ast::GrantRole& st);
  Result<StatementResult> run(Session& s, const ast::GrantPrivileges& st);
  Result<StatementResult> run(Session& s, const ast::CreateTablespace& st);  // exec_tablespace
  Result<StatementResult> run(Session& s, const ast::DropTablespace& st);
  Result<StatementResult> run(Session& s, const ast::BackupDatabase& st);  // exec_backup.cpp
  Result<StatementResult> run(Session& s, const ast::RestoreDatabase& st);
  Result<StatementResult> run(Session& s, const ast::SetColumnMasking& st);  // exec_masking
  Result<StatementResult> run(Session& s, const ast::DropColumnMasking& st);
  Result<StatementResult> run(Session& s, const ast::RotateTablespaceKey& st);
  Result<StatementResult> run(Session& s, const ast::RotateTableKey& st);
  Result<StatementResult> run(Session& s, const ast::EnableTablespaceEncryption& st);
  Result<StatementResult> run(Session& s, const ast::VerifyAuditLog& st);  // exec_audit.cpp
  Result<StatementResult> run(Session& s, const ast::CreateAuditHold& st);
  Result<StatementResult> run(Session& s, const ast::DropAuditHold& st);

  // A vault.* view (exec_views.cpp).
  Result<StatementResult> view(Session& s, std::string_view name);

  // Unlock helpers (exec_unlock.cpp).
  // The PHC string (opts.argon2) of a random password nobody knows, made on first use: what
  // an absent realm password or grant is verified against, so that every UNLOCK ... PASSWORD
  // runs the same number of KDFs. 58000 if it cannot be made.
  Result<const std::string*> dummy_phc();
  std::mutex dummy_mu_;
  std::string dummy_phc_;  // guarded by dummy_mu_; never changes once set
  Status check_lockout(const Session& s, rules::RealmId realm, const RealmInfo& info, bool reserve);
  Status record_failure(const Session& s, rules::RealmId realm, const RealmInfo& info,
                        std::string_view reason);
};

// Creates Options::bootstrap's accounts on an empty store (bootstrap.cpp). 22023 for a
// missing or repeated name or a missing password; nothing is created on error.
Status bootstrap_accounts(VaultImpl& v);
// Logs a warning for every account holding roles of both sides of the duties (vault/duties.h),
// which only a store written before these rules can contain.
void warn_about_conflicting_roles(const PolicySnapshot& snap);

// Account helpers (exec_accounts.cpp).
// DBA or ACCOUNT_MANAGER.
Status require_either(VaultImpl& v, const Session& s, std::string_view statement);
// The manager of `user`'s side of the duties (vault/duties.h): VAULT_ADMIN for a holder of
// VAULT_ADMIN or AUDIT_VIEWER, else ACCOUNT_MANAGER. 42501 + sod_violation otherwise.
Status require_manager(VaultImpl& v, const Session& s, std::uint32_t user,
                       std::string_view statement);
// 42501 + sod_violation when `user` is the last holder of VAULT_ADMIN: nobody could manage
// the vault any more.
Status keep_last_vault_admin(VaultImpl& v, const Session& s, std::uint32_t user,
                             std::string_view statement);
// Records a sod_violation (detail command, rule) and returns 42501 with `message`.
Error sod_refusal(VaultImpl& v, const Session& s, std::string_view statement, std::string_view rule,
                  std::string message);
// The backup right (exec_backup.cpp): whether `role` is BACKUP_OPERATOR, and the rule of its
// grants and revocations — by a DBA or ACCOUNT_MANAGER, to users only, never to oneself (a
// revocation also by a VAULT_ADMIN). 42501 + sod_violation otherwise.
bool is_backup_right(const PolicySnapshot& snap, std::uint32_t role);
Status check_backup_right_grant(VaultImpl& v, const Session& s, bool grant, bool to_user,
                                bool to_self, const std::string& statement);
// A policy_changed event for `statement` on `object`.
audit::Event policy_event(const VaultImpl& v, const Session& s, std::string_view statement,
                          std::string_view object);
// 42704 "user N does not exist".
Error no_user(std::string_view name);

// 2BP01 when masking policies name role `role` (exec_masking.cpp): masks are the VAULT_ADMIN's,
// and dropping the role would drop them (its holders would be unmasked by the DBA).
Status refuse_masked_role(PolicyStore::Db& db, std::uint32_t role, std::string_view name);

// Microseconds since the epoch as an audit timestamp (seconds) and as RFC 3339 text.
inline audit::Timestamp to_seconds(std::int64_t us) {
  return audit::Timestamp(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::microseconds(us)));
}
inline std::string time_text(std::int64_t us) { return audit::format_time(to_seconds(us)); }

// A result with only a command tag.
inline StatementResult tag_only(std::string tag) { return StatementResult{std::move(tag), {}, {}}; }

}  // namespace dbvault::vault
