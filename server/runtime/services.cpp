#include "server/runtime/services.h"

#include "audit/keys.h"
#include "crypto/kdf.h"
#include "vault/audit_anchor.h"

namespace dbvault::server {
namespace {

// The vault's token MAC root: derived from the `policy` TEK (wrapped by the MEK), so tokens
// verify across restarts and are worthless without the master key.
Result<crypto::SecretBytes> token_root_key(crypto::TekStore& keys, bool create) {
  const auto scope = crypto::KeyScope::policy();
  if (create) {
    if (auto made = keys.create_tek(scope); !made) return std::move(made).error();
  }
  auto tek = keys.unwrap(scope, std::nullopt);
  if (!tek) return std::move(tek).error();
  return crypto::derive_subkey(tek->key, "dbvault vault-token root v1");
}

// The three accounts of a new data directory (vault::Options::bootstrap): on an empty policy
// store the vault creates them in one transaction, so no account ever holds VAULT_ADMIN with
// DBA or ACCOUNT_MANAGER.
Status apply_initial_accounts(vault::Options& o, std::vector<InitialAccount>& accounts) {
  for (auto& a : accounts) {
    vault::BootstrapAccount* slot = a.name == "dba"        ? &o.bootstrap.dba
                                    : a.name == "secadmin" ? &o.bootstrap.secadmin
                                    : a.name == "auditor"  ? &o.bootstrap.auditor
                                                           : nullptr;
    if (slot == nullptr) {
      return make_error(sqlstate::kInvalidParameterValue, "unknown initial account " + a.name);
    }
    slot->password = std::move(a.password);
  }
  return ok_status();
}

}  // namespace

Services::~Services() {
  if (policy_store != nullptr && audit) {
    (void)vault::refresh_audit_anchor(*policy_store, *audit);
    vault::detach_audit_anchor(*policy_store);
  }
  vault.reset();
  resolver.reset();
  sink.reset();
  audit.reset();
}

Result<std::unique_ptr<Services>> open_services(const DataDir& dir, const ServerConfig& config,
                                                const Clock& clock, OpenMode mode) {
  auto s = std::make_unique<Services>();
  s->dir = dir;
  s->clock = &clock;
  auto mek = open_master_key(dir, config, mode.create);
  if (!mek) return std::move(mek).error();
  auto keys = crypto::TekStore::open(dir.keys(), std::move(*mek), clock);
  if (!keys) return std::move(keys).error();
  s->keys = std::move(*keys);
  auto audit_keys = audit::load_audit_keys(*s->keys, mode.create);
  if (!audit_keys) return std::move(audit_keys).error();
  audit::LogOptions log_options;
  log_options.dir = dir.audit();
  log_options.clock = &clock;
  log_options.create_if_missing = mode.create;
  auto log = audit::Log::open(std::move(log_options), std::move(*audit_keys));
  if (!log) return std::move(log).error();
  s->audit = std::move(*log);
  s->sink = std::make_unique<vault::AuditLogSink>(*s->audit);
  auto root = token_root_key(*s->keys, mode.create);
  if (!root) return std::move(root).error();

  if (std::filesystem::exists(dir.engine_db())) {
    auto resolver = storage::SqliteAccessResolver::open(dir.engine_db());
    if (!resolver) return std::move(resolver).error();
    s->resolver = std::move(*resolver);
  }
  vault::Options o;
  o.access_resolver = s->resolver.get();
  Services* raw = s.get();
  // The anchors between the policy store and the audit log (docs/audit.md §10): checked here,
  // at every start; a rollback of one without the other refuses to start (58000).
  o.on_store_open = [raw](vault::PolicyStore& store) -> Status {
    DBV_RETURN_IF_ERROR(vault::attach_audit_anchor(store, *raw->audit));
    raw->policy_store = &store;
    return ok_status();
  };
  o.policy_path = dir.policy();
  o.audit = s->sink.get();
  o.clock = &clock;
  o.token_root_key = std::move(*root);
  if (mode.create) {
    if (auto st = apply_initial_accounts(o, mode.accounts); !st) return std::move(st).error();
  }
  auto vault = vault::Vault::open(std::move(o));
  if (!vault) {
    s->policy_store = nullptr;  // it closed with the failed vault
    return std::move(vault).error();
  }
  s->vault = std::move(*vault);
  return s;
}

}  // namespace dbvault::server
