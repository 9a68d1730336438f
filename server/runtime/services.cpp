#include "server/runtime/services.h"

#include <array>
#include <fstream>

#include "audit/key_access_log.h"
#include "audit/keys.h"
#include "crypto/kdf.h"
#include "server/runtime/master_key_rotation.h"
#include "storage/vfs/page_key.h"
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

// The gate's authorizer while the server is the only holder of a key: it grants the engine
// database's key to the server (kServerKeySession) and nothing to anyone else.
class ServerKeyAuthorizer final : public crypto::KeyAuthorizer {
 public:
  crypto::KeyAuthorization authorize(const crypto::SessionRef& session,
                                     const crypto::KeyScope& scope) const override {
    const bool server = session.session_id == kServerKeySession && session.user == kServerKeyUser;
    return {.granted = server && scope == engine_key_scope()};
  }
};

// A data directory made before the engine database was encrypted holds a plaintext SQLite
// file: refuse it by name rather than as a wrong key (docs/encryption.md, "The engine
// database").
Status refuse_plaintext_engine_db(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<char, 16> head{};
  if (!in.read(head.data(), head.size())) return ok_status();
  if (std::string_view(head.data(), head.size()) != std::string_view("SQLite format 3\0", 16)) {
    return ok_status();
  }
  return make_error(sqlstate::kSystemError,
                    "the engine database " + path.string() +
                        " is not encrypted (a data directory from before dbvault encrypted it); "
                        "dbvault does not serve plaintext data: export it (sqlite3 .dump), create "
                        "a new data directory with 'dbvault init' and load it there");
}

// The engine database's VFS, its key released by the gate to the server now and again
// whenever the cached key expired (the same version: a rotation is not part of this).
Result<std::shared_ptr<storage::vfs::TdeVfs>> open_engine_vfs(crypto::KeyGate& gate,
                                                              crypto::TekStore& keys) {
  auto current = keys.current(engine_key_scope());
  if (!current) {
    if (current.error().code != sqlstate::kUndefinedObject) return std::move(current).error();
    return make_error(sqlstate::kSystemError,
                      "the key store has no key for the engine database (" +
                          engine_key_scope().to_string() +
                          "): the data directory is incomplete or from an older dbvault");
  }
  const std::uint32_t version = current->version;
  storage::vfs::KeySource source =
      [&gate, version]() -> Result<std::shared_ptr<const storage::vfs::PageKey>> {
    auto handle = gate.release({kServerKeySession, kServerKeyUser}, engine_key_scope(), version);
    if (!handle) {
      return make_error(sqlstate::kSystemError,
                        "the engine database's key is not available: " + handle.error().message);
    }
    return storage::vfs::PageKey::from_handle(std::move(*handle));
  };
  auto vfs = storage::vfs::TdeVfs::create(std::move(source));
  if (!vfs) return std::move(vfs).error();
  return std::shared_ptr<storage::vfs::TdeVfs>(std::move(*vfs));
}

}  // namespace

crypto::KeyScope engine_key_scope() { return crypto::KeyScope::tablespace("default"); }

Services::~Services() {
  if (policy_store != nullptr && audit) {
    (void)vault::refresh_audit_anchor(*policy_store, *audit);
    vault::detach_audit_anchor(*policy_store);
  }
  vault.reset();
  resolver.reset();
  engine_vfs.reset();
  gate.reset();
  key_authorizer.reset();
  key_access.reset();
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

  s->key_access = std::make_unique<audit::KeyAccessLog>(*s->audit);
  s->key_authorizer = std::make_unique<ServerKeyAuthorizer>();
  s->gate = std::make_unique<crypto::KeyGate>(*s->keys, *s->key_authorizer, *s->key_access, clock);
  if (mode.create) {
    if (auto made = s->keys->create_tek(engine_key_scope()); !made) return std::move(made).error();
  }
  // init creates the engine database; a start without it would serve an empty database in
  // place of a deleted one.
  if (!mode.create && !std::filesystem::exists(dir.engine_db())) {
    return make_error(sqlstate::kSystemError,
                      "the engine database " + dir.engine_db().string() +
                          " is missing (deleted or moved?); dbvault serve never creates it");
  }
  DBV_RETURN_IF_ERROR(refuse_plaintext_engine_db(dir.engine_db()));
  auto engine_vfs = open_engine_vfs(*s->gate, *s->keys);
  if (!engine_vfs) return std::move(engine_vfs).error();
  s->engine_vfs = std::move(*engine_vfs);

  if (std::filesystem::exists(dir.engine_db())) {
    auto resolver = storage::SqliteAccessResolver::open(dir.engine_db(), s->engine_vfs);
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
  o.rotate_master_key = master_key_rotator(*raw, config);
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
