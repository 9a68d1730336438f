#include "server/runtime/services.h"

#include <array>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <mutex>

#include "audit/key_access_log.h"
#include "audit/keys.h"
#include "crypto/kdf.h"
#include "server/runtime/alert_sinks.h"
#include "server/runtime/audit_host.h"
#include "server/runtime/backup_host.h"
#include "server/runtime/master_key_rotation.h"
#include "server/runtime/policy_store_file.h"
#include "server/runtime/tek_rotation.h"
#include "storage/engine.h"
#include "storage/sql_words.h"
#include "storage/tablespace_catalog.h"
#include "storage/tablespace_keys.h"
#include "storage/vfs/page_key.h"
#include "vault/audit_anchor.h"

namespace dbvault::server {
namespace {

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

// The gate's authorizer: the engine database's key to the server (kServerKeySession) and to
// nobody else; tablespace keys as `tablespaces` says once attach_tablespaces() set it (before
// that, to nobody).
class ServerKeyAuthorizer final : public crypto::KeyAuthorizer {
 public:
  void set_tablespaces(const crypto::KeyAuthorizer* a) { tablespaces_.store(a); }
  crypto::KeyAuthorization authorize(const crypto::SessionRef& session,
                                     const crypto::KeyScope& scope) const override {
    const bool server = session.session_id == kServerKeySession && session.user == kServerKeyUser;
    if (scope == engine_key_scope()) return {.granted = server};
    const crypto::KeyAuthorizer* t = tablespaces_.load();
    const bool data = scope.kind() == crypto::ScopeKind::kTablespace ||
                      scope.kind() == crypto::ScopeKind::kColumns;  // the vault decides both
    if (t == nullptr || !data) return {};
    return t->authorize(session, scope);
  }

 private:
  std::atomic<const crypto::KeyAuthorizer*> tablespaces_{nullptr};
};

// A data directory made before the engine database was encrypted holds a plaintext SQLite
// file: refuse it by name rather than as a wrong key (docs/encryption.md, "The engine
// database").
Status refuse_plaintext_engine_db(const std::filesystem::path& path) {
#ifdef DBVAULT_BENCH_PLAINTEXT  // bench/tde.cmake's dbvault_bench_plain only: the reverse
  {
    std::ifstream in(path, std::ios::binary);
    std::array<char, 4> head{};
    if (in.read(head.data(), head.size()) && std::string_view(head.data(), 4) == "DBVT") {
      return make_error(sqlstate::kSystemError,
                        "dbvault_bench_plain is a benchmark build that encrypts nothing: it "
                        "never opens an encrypted data directory");
    }
    return ok_status();
  }
#endif
  if (!is_plaintext_sqlite(path)) return ok_status();
  return make_error(sqlstate::kSystemError,
                    "the engine database " + path.string() +
                        " is not encrypted (a data directory from before dbvault encrypted it); "
                        "dbvault does not serve plaintext data: export it (sqlite3 .dump), create "
                        "a new data directory with 'dbvault init' and load it there");
}

// The engine database's VFS, its key released by the gate to the server now and again
// whenever the cached key expired: every live version (a key ring while a rotation is under
// way, docs/encryption.md §12).
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
  storage::vfs::KeySource source =
      [&gate]() -> Result<std::shared_ptr<const storage::vfs::PageKey>> {
    auto ring = server_key_ring(gate, engine_key_scope());
    if (!ring) {
      return make_error(sqlstate::kSystemError,
                        "the engine database's key is not available: " + ring.error().message);
    }
    return ring;
  };
  auto vfs = storage::vfs::TdeVfs::create(std::move(source));
  if (!vfs) return std::move(vfs).error();
  return std::shared_ptr<storage::vfs::TdeVfs>(std::move(*vfs));
}

crypto::AeadAlgorithm algorithm_of(ast::Cipher cipher) {
  return cipher == ast::Cipher::kAes256Gcm ? crypto::AeadAlgorithm::kAes256Gcm
                                           : crypto::AeadAlgorithm::kChaCha20Poly1305;
}

// CREATE / DROP TABLESPACE after the vault allowed and recorded them (vault/exec_tablespace.cpp):
// the TEK in the key store, the file through the engine, under the key the gate releases to
// the server itself (audited as key_access, user dbvault, session 0).
class EngineTablespaceHost final : public vault::TablespaceHost {
 public:
  EngineTablespaceHost(crypto::KeyGate& gate, crypto::TekStore& keys, storage::Engine& engine,
                       TekRotations& rotations)
      : gate_(gate), keys_(keys), engine_(engine), rotations_(rotations) {}

  Status create_tablespace(const ast::CreateTablespace& st) override {
    auto name = storage::TablespaceCatalog::normalize_name(st.name);
    if (!name) return std::move(name).error();
    // One at a time with DROP: the name check below and the key it may destroy are then this
    // statement's alone (two creations of one name racing lost the winner's key).
    std::lock_guard lock(ddl_mu_);
    if (engine_.tablespaces().find(*name)) {
      return make_error(sqlstate::kDuplicateObject, "tablespace \"" + *name + "\" already exists");
    }
    if (engine_.tablespaces().list().size() >= kMaxTablespaces) {
      return make_error(sqlstate::kProgramLimitExceeded,
                        "tablespace \"" + *name + "\" would be one too many: at most " +
                            std::to_string(kMaxTablespaces) +
                            " tablespaces (each session attaches every one, and the engine "
                            "attaches at most that many databases)");
    }
    if (st.key_id && *st.key_id != keys_.mek_id()) {
      return make_error(sqlstate::kInvalidParameterValue,
                        "KEY_ID '" + *st.key_id +
                            "' is not the master key of this data directory (its TEKs are "
                            "all wrapped by '" +
                            keys_.mek_id() + "')");
    }
    const auto scope = storage::TablespaceCatalog::scope_of(*name);
    const auto algorithm = algorithm_of(st.cipher);
    auto current = keys_.current(scope);
    if (current) {
      // A key left by a DROP TABLESPACE of an older dbvault (which kept a never-used version):
      // destroyed, so the new tablespace's key is a fresh one, of the cipher asked for.
      DBV_RETURN_IF_ERROR(gate_.destroy(scope));
    } else if (current.error().code != sqlstate::kUndefinedObject) {
      return std::move(current).error();
    }
    if (auto made = keys_.create_tek(scope, algorithm); !made) return std::move(made).error();
    auto key = server_key(scope);
    if (!key) return std::move(key).error();
    return engine_.create_tablespace(*name, std::move(*key));
  }

  Status drop_tablespace(const ast::DropTablespace& st) override {
    const std::string name = storage::fold_ascii(st.name);
    std::lock_guard lock(ddl_mu_);
    if (!engine_.tablespaces().find(name)) {
      return make_error(sqlstate::kUndefinedObject, "tablespace \"" + name + "\" does not exist");
    }
    const auto scope = storage::TablespaceCatalog::scope_of(name);
    auto key = server_key(scope);
    if (!key) return std::move(key).error();
    DBV_RETURN_IF_ERROR(engine_.drop_tablespace(name, std::move(*key)));
    // Every version that ever sealed a page: deleted and zeroized, so a copy of the files (or a
    // backup) can never be read again.
    return gate_.destroy(scope);
  }

  Status rotate_tablespace_key(std::string_view name) override { return rotations_.rotate(name); }

  Status change_tablespace_cipher(std::string_view name, ast::Cipher cipher) override {
    return rotations_.rotate(name, algorithm_of(cipher));
  }

  // A table's pages are sealed by its tablespace's key: rotating "the table's key" is rotating
  // that key when no other table shares it; otherwise the statement says what to rotate.
  Status rotate_table_key(const ast::ObjectName& table) override {
    const std::string name = storage::fold_ascii(table.name);
    const std::string schema = storage::fold_ascii(table.schema);
    auto column_keys = keys_.versions(crypto::KeyScope::columns(name));
    if (column_keys && !column_keys->empty()) {
      return make_error(sqlstate::kFeatureNotSupported,
                        "table \"" + name +
                            "\" has encrypted columns, whose key rotation (re-encrypting "
                            "their values) is not built yet");
    }
    const auto ts = engine_.tablespaces().tablespace_of_table(name);
    const std::string where = ts ? *ts : "main";
    if (!schema.empty() && schema != where) {
      return make_error(sqlstate::kUndefinedTable,
                        "table \"" + schema + "." + name + "\" does not exist");
    }
    if (!ts) {
      return make_error(sqlstate::kFeatureNotSupported,
                        "table \"" + name +
                            "\" is in the default tablespace (the engine database), whose one "
                            "key seals every table there: rotate it with ALTER TABLESPACE "
                            "default ROTATE ENCRYPTION KEY");
    }
    const auto info = engine_.tablespaces().find(*ts);
    if (info && info->tables.size() > 1) {
      return make_error(sqlstate::kFeatureNotSupported,
                        "table \"" + *ts + "." + name + "\" shares tablespace \"" + *ts +
                            "\" with " + std::to_string(info->tables.size() - 1) +
                            " other table(s), whose pages are sealed by the same key: rotate "
                            "it with ALTER TABLESPACE " +
                            *ts + " ROTATE ENCRYPTION KEY");
    }
    return rotations_.rotate(*ts);
  }

  bool tablespace_exists(std::string_view name) const override {
    return engine_.tablespaces().find(name).has_value();
  }

 private:
  Result<std::shared_ptr<const storage::vfs::PageKey>> server_key(const crypto::KeyScope& scope) {
    auto handle = gate_.release({kServerKeySession, kServerKeyUser}, scope);
    if (!handle) return std::move(handle).error();
    return storage::vfs::PageKey::from_handle(std::move(*handle));
  }
  // SQLite's SQLITE_MAX_ATTACHED as Debian builds it: an 11th tablespace made every
  // statement of every session fail ("too many attached databases").
  static constexpr std::size_t kMaxTablespaces = 10;

  crypto::KeyGate& gate_;
  crypto::TekStore& keys_;
  storage::Engine& engine_;
  TekRotations& rotations_;
  std::mutex ddl_mu_;  // CREATE and DROP TABLESPACE, one at a time
};

}  // namespace

crypto::KeyScope engine_key_scope() { return crypto::KeyScope::tablespace("default"); }

Services::~Services() {
  rotations.reset();  // its worker uses the gate, the key store and the VFS
  if (vault) {
    vault->set_tablespace_host(nullptr);
    vault->set_backup_host(nullptr);
    vault->set_audit_host(nullptr);
    vault->set_key_listener(nullptr);
  }
  if (auto* a = dynamic_cast<ServerKeyAuthorizer*>(key_authorizer.get()))
    a->set_tablespaces(nullptr);
  if (policy_store != nullptr && audit) {
    (void)vault::refresh_audit_anchor(*policy_store, *audit);
    vault::detach_audit_anchor(*policy_store);
  }
  vault.reset();
  policy_vfs.reset();  // after the vault's policy store closed
  resolver.reset();
  engine_vfs.reset();
  gate.reset();
  tablespace_host.reset();
  backup_host.reset();
  audit_host.reset();
  tablespace_authorizer.reset();
  vault_key_authorizer.reset();
  key_authorizer.reset();
  key_access.reset();
  sink.reset();
  audit.reset();
}

Result<std::shared_ptr<const storage::vfs::PageKey>> server_key_ring(
    crypto::KeyGate& gate, const crypto::KeyScope& scope) {
  auto handles = gate.release_all({kServerKeySession, kServerKeyUser}, scope);
  if (!handles) return std::move(handles).error();
  return storage::vfs::PageKey::from_handles(std::move(*handles));
}

Status attach_tablespaces(Services& s, storage::Engine& engine) {
  s.vault_key_authorizer =
      std::make_unique<vault::KeyAuthorizer>(*s.vault, engine.key_scopes(), *s.clock);
  s.tablespace_authorizer = std::make_unique<storage::TablespaceKeyAuthorizer>(
      *s.vault_key_authorizer, *s.vault, engine.tablespaces(),
      crypto::SessionRef{kServerKeySession, kServerKeyUser});
  s.vault_key_authorizer->set_gate(s.gate.get());
  s.vault->set_key_listener(s.vault_key_authorizer.get());
  // The server writes the definitions of tables created for sessions not given the key.
  engine.set_server_keys(std::make_shared<storage::GateTablespaceKeys>(
      *s.gate, *s.key_authorizer, crypto::SessionRef{kServerKeySession, kServerKeyUser}));
  if (auto* a = dynamic_cast<ServerKeyAuthorizer*>(s.key_authorizer.get())) {
    a->set_tablespaces(s.tablespace_authorizer.get());
  }
  TekRotationOptions rotation_options;
  const char* test_gate = std::getenv("DBVAULT_ALLOW_TEST_CLOCK");
  const char* hold = std::getenv("DBVAULT_TEST_HOLD_ROTATIONS");
  rotation_options.hold_for_tests = test_gate != nullptr && std::string_view(test_gate) == "1" &&
                                    hold != nullptr && std::string_view(hold) == "1";
  s.rotations = std::make_unique<TekRotations>(s, engine, rotation_options);
  s.tablespace_host =
      std::make_unique<EngineTablespaceHost>(*s.gate, *s.keys, engine, *s.rotations);
  s.vault->set_tablespace_host(s.tablespace_host.get());
  s.backup_host = make_backup_host(s, engine);
  s.vault->set_backup_host(s.backup_host.get());
  return s.rotations->resume();
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
  log_options.alerts = server_alert_sink(config, dir);
  auto log = audit::Log::open(std::move(log_options), std::move(*audit_keys));
  if (!log) return std::move(log).error();
  s->audit = std::move(*log);
  s->sink = std::make_unique<vault::AuditLogSink>(*s->audit);
  auto root = policy_subkey(*s->keys, mode.create, kTokenRootLabel);
  if (!root) return std::move(root).error();
  auto masking = policy_subkey(*s->keys, false, kMaskingHashLabel);
  if (!masking) return std::move(masking).error();
  s->masking_key = std::make_shared<const crypto::SecretBytes>(std::move(*masking));

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
  // policy.db sealed under its own subkey of the policy TEK; a plaintext one (a data directory
  // from before dbvault encrypted it) is encrypted once, here, before the vault reads it.
  auto policy_vfs = open_policy_vfs(*s->keys);
  if (!policy_vfs) return std::move(policy_vfs).error();
  s->policy_vfs = std::move(*policy_vfs);
  DBV_RETURN_IF_ERROR(encrypt_plaintext_policy_store(dir.policy(), *s->policy_vfs));
  o.policy_path = dir.policy();
  o.policy_connector = policy_connector(*s->policy_vfs);
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
  s->audit_host = make_audit_host(*s->audit);
  s->vault->set_audit_host(s->audit_host.get());
  return s;
}

}  // namespace dbvault::server
