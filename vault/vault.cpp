#include "vault/vault.h"

#include <type_traits>

#include "grammar/grammar.h"
#include "vault/key_authorizer.h"
#include "vault/vault_impl.h"

namespace dbvault::vault {
namespace {
constexpr SqlState kUniqueViolation{"23505"};  // a store's UNIQUE constraint (common/sqlite_db)
}  // namespace

// ---- VaultImpl: shared helpers -----------------------------------------------------------

Status VaultImpl::refresh() {
  auto data = store->load(now());
  if (!data) return std::move(data).error();
  holder.publish(PolicySnapshot::build(std::move(data).value(), &parse_cache));
  return ok_status();
}

Status VaultImpl::change(const std::function<Status(PolicyStore::Db&)>& fn, const audit::Event& ev,
                         bool durable) {
  std::lock_guard lock(change_mu);
  if (Status outer_ = store->write([&](PolicyStore::Db& db) -> Status {
        DBV_RETURN_IF_ERROR(fn(db));
        // Last, and durable: a failed audit write rolls the change back, and the record is on
        // disk before the commit, so no crash leaves a change without its record.
        return audit(ev, durable);
      });
      !outer_.ok()) {
    // A name checked free against the snapshot can be taken by a concurrent statement before
    // this change commits: the store's UNIQUE constraint refuses it, answered as the check is.
    if (outer_.error().code == kUniqueViolation) {
      return make_error(sqlstate::kDuplicateObject,
                        "already exists: a concurrent statement created it first");
    }
    return std::move(outer_).error();
  }
  DBV_RETURN_IF_ERROR(refresh());
  // Any change may take access away (a revoked token, UNAUTHORIZE, REVOKE, a new realm
  // object): keys released on the old policy are withdrawn and asked for again.
  if (KeyListener* l = key_listener.load()) l->policy_changed();
  return ok_status();
}

Result<StatementResult> VaultImpl::apply_change(std::string tag,
                                                const std::function<Status(PolicyStore::Db&)>& fn,
                                                const audit::Event& ev, bool durable) {
  DBV_RETURN_IF_ERROR(change(fn, ev, durable));
  return tag_only(std::move(tag));
}

Status VaultImpl::record_state(const std::function<Status(PolicyStore::Db&)>& fn,
                               const audit::Event& ev, bool durable) {
  return store->write_state([&](PolicyStore::Db& db) -> Status {
    DBV_RETURN_IF_ERROR(fn(db));
    return audit(ev, durable);  // as change(): durable record, then commit
  });
}

Status VaultImpl::audit(const audit::Event& ev, bool durable) {
  auto st = opts.audit->record(ev, durable);
  if (!st.ok()) {
    return make_error(sqlstate::kSystemError, "audit log unavailable: " + st.error().message);
  }
  return ok_status();
}

audit::Event VaultImpl::event(audit::EventType type, const Session& s, std::string realm) const {
  audit::Event e;
  e.type = type;
  e.user = s.user_name();
  e.realm = std::move(realm);
  e.ip_address = s.info().client_ip;
  e.session_id = s.info().session_id;
  return e;
}

Status VaultImpl::sod_violation(const Session& s, std::string_view role,
                                std::string_view statement) {
  audit::Event e = event(audit::EventType::kSodViolation, s);
  e.result = audit::Outcome::kDenied;
  e.detail["role"] = std::string(role);
  e.detail["command"] = std::string(statement);
  (void)audit(e, true);  // a violation: durable; the statement is refused either way
  return make_error(sqlstate::kInsufficientPrivilege,
                    std::string(statement) + " requires " + std::string(role));
}

Status VaultImpl::require_role(const Session& s, std::uint32_t role, std::string_view statement) {
  auto sn = snap();
  if (sn->has_role(s.user_id(), role)) return ok_status();
  std::string name(sn->role_name(role));
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return sod_violation(s, name, statement);
}

Status VaultImpl::require_owner_or_admin(const Session& s, const RealmInfo& realm,
                                         std::string_view statement) {
  auto sn = snap();
  if (sn->has_role(s.user_id(), kRoleVaultAdmin) || sn->authorized(s.user_id(), realm, true)) {
    return ok_status();
  }
  return sod_violation(s, "VAULT_ADMIN or an owner of realm " + realm.name, statement);
}

Result<std::pair<rules::RealmId, const RealmInfo*>> VaultImpl::realm(const PolicySnapshot& sn,
                                                                     std::string_view name) const {
  auto id = sn.find_realm(name);
  if (!id)
    return make_error(sqlstate::kUndefinedObject, "realm " + std::string(name) + " does not exist");
  return std::make_pair(*id, sn.realm(*id));
}

// ---- Vault ---------------------------------------------------------------------------------

Vault::Vault(std::unique_ptr<VaultImpl> impl) : impl_(std::move(impl)) {}
Vault::~Vault() = default;

Result<std::unique_ptr<Vault>> Vault::open(Options options) {
  if (options.audit == nullptr) {
    return make_error(sqlstate::kInvalidParameterValue, "vault options: no audit sink");
  }
  auto mac = TokenMac::create(options.token_root_key);
  if (!mac) return std::move(mac).error();
  auto impl = std::make_unique<VaultImpl>(std::move(options), std::move(mac).value());
  impl->clock = impl->opts.clock != nullptr ? impl->opts.clock : &impl->system_clock;
  auto store = PolicyStore::open(impl->opts.policy_path, impl->opts.policy_connector);
  if (!store) return std::move(store).error();
  impl->store = std::move(store).value();
  if (impl->opts.on_store_open) DBV_RETURN_IF_ERROR(impl->opts.on_store_open(*impl->store));
  DBV_RETURN_IF_ERROR(impl->refresh());
  if (impl->snap()->data().users.empty()) {
    DBV_RETURN_IF_ERROR(bootstrap_accounts(*impl));
  }
  warn_about_conflicting_roles(*impl->snap());
  return std::unique_ptr<Vault>(new Vault(std::move(impl)));
}

Result<Session> Vault::login(std::string_view user, SessionInfo info) {
  auto sn = impl_->snap();
  auto id = sn->find_user(user);
  Session session(id.value_or(0), std::string(user), std::move(info));
  if (!id) {
    audit::Event e = impl_->event(audit::EventType::kLoginFailed, session);
    e.result = audit::Outcome::kFailure;
    e.detail["auth_method"] = session.info().auth_method;
    (void)impl_->audit(e, false);
    return make_error(sqlstate::kInvalidAuthorization,
                      "role \"" + std::string(user) + "\" does not exist");
  }
  if (sn->vault_enabled()) {
    const rules::Factors f = session.factors(impl_->now(), *sn);
    rules::RuleDecision rd = sn->rules().evaluate_login(f);
    for (const auto& hit : rd.simulated) {
      audit::Event e = impl_->event(audit::EventType::kCommandRuleViolation, session);
      e.detail["rule"] = hit.rule->name;
      e.detail["command"] = "CONNECT";
      e.detail["simulated"] = true;
      DBV_RETURN_IF_ERROR(impl_->audit(e, true));
    }
    if (rd.denial) {
      audit::Event e = impl_->event(audit::EventType::kCommandRuleViolation, session);
      e.result = audit::Outcome::kDenied;
      e.detail["rule"] = rd.denial->rule->name;
      e.detail["command"] = "CONNECT";
      DBV_RETURN_IF_ERROR(impl_->audit(e, true));
      return rd.error();
    }
  }
  audit::Event e = impl_->event(audit::EventType::kLogin, session);
  e.detail["auth_method"] = session.info().auth_method;
  e.detail["program_name"] = session.info().program_name;
  DBV_RETURN_IF_ERROR(impl_->audit(e, false));
  return session;
}

std::optional<std::string> Vault::scram_verifier(std::string_view user) const {
  auto sn = impl_->snap();
  for (const auto& u : sn->data().users) {
    if (u.name == user) return u.scram_verifier;
  }
  return std::nullopt;
}

namespace {
// The realm whose own tablespace `schema` is (CREATE REALM ... TABLESPACE), or "".
std::string realm_of_tablespace(const PolicySnapshot& snap, const std::string& schema) {
  const auto id = snap.realm_of_tablespace(schema);
  return id ? snap.realm(*id)->name : std::string();
}
}  // namespace

Status Vault::register_table(const ast::ObjectName& table, const std::vector<std::string>& columns,
                             std::string_view owner) {
  auto owner_id = impl_->snap()->find_user(owner);
  if (!owner_id) {
    return make_error(sqlstate::kUndefinedObject, "user " + std::string(owner) + " does not exist");
  }
  Session system(*owner_id, std::string(owner), {});
  audit::Event ev = impl_->event(audit::EventType::kPolicyChanged, system);
  ev.detail["statement"] = "REGISTER TABLE";
  ev.detail["object"] = store::schema_of(table) + "." + table.name;
  ev.realm = realm_of_tablespace(*impl_->snap(), store::schema_of(table));  // the join below
  return impl_->change(
      [&](PolicyStore::Db& db) -> Status {
        const std::string schema = store::schema_of(table);
        auto id = store::ensure_object(db, schema, table.name, "");
        if (!id) return std::move(id).error();
        for (const auto& c : columns) {
          auto cid = store::ensure_object(db, schema, table.name, c);
          if (!cid) return std::move(cid).error();
        }
        // A table of a realm's own tablespace joins that realm in this change (CREATE REALM
        // ... TABLESPACE): it is never outside the realm, not even between two statements.
        DBV_RETURN_IF_ERROR(db.run(
            "INSERT OR IGNORE INTO realm_objects (realm_id, object_id) "
            "SELECT realm_id, ? FROM realm_tablespaces WHERE tablespace = lower(?)",
            *id, schema));
        return db.run("UPDATE objects SET owner_user_id = ? WHERE id = ?", *owner_id, *id);
      },
      ev);
}

Result<StatementResult> Vault::execute(Session& session, const ast::Statement& statement) {
  return std::visit(
      [&](const auto& node) -> Result<StatementResult> {
        if constexpr (requires { impl_->run(session, node); }) {
          return impl_->run(session, node);
        } else if constexpr (std::is_same_v<std::decay_t<decltype(node)>, ast::ExplainVault>) {
          return explain_statement(session, *node.statement);
        } else {
          return make_error(
              sqlstate::kFeatureNotSupported,
              std::string(ast::statement_kind(statement)) + " is not a statement of the vault");
        }
      },
      statement.node);
}

Result<StatementResult> Vault::query_view(Session& session, std::string_view view) {
  return impl_->view(session, view);
}

Decision Vault::decide(Session& session, std::span<const Access> accesses) const {
  // One pin per thread: a decision costs one atomic load to find the snapshot, and a thread
  // keeps at most one snapshot alive.
  thread_local SnapshotHolder::Pin pin;
  const PolicySnapshot* sn = impl_->holder.current(pin);
  return vault::decide(*sn, session, accesses, impl_->now(), impl_->opts.privileges);
}

Status Vault::check(Session& session, std::span<const Access> accesses,
                    std::string_view statement) {
  Decision d = decide(session, accesses);
  for (auto& e : d.events) {  // every event is a violation (real or simulated): durable
    if (!statement.empty()) e.detail["query"] = std::string(statement);
    DBV_RETURN_IF_ERROR(impl_->audit(e, true));
  }
  if (!d.allowed()) return *d.error;
  return ok_status();
}

// EXPLAIN VAULT <engine SQL>: the engine (AccessResolver) says what the statement touches;
// the rows are every check decide() would make. Vault statements are checked by the roles
// their executors require, not by realms and rules, so there is nothing of this kind to show.
Result<StatementResult> Vault::explain_statement(Session& session, const ast::Statement& inner) {
  const auto* sql = std::get_if<ast::EngineSql>(&inner.node);
  if (sql == nullptr) {
    return make_error(sqlstate::kFeatureNotSupported,
                      "EXPLAIN VAULT explains SQL on tables; " +
                          std::string(ast::statement_kind(inner)) +
                          " is a vault statement, checked by the roles it requires "
                          "(docs/vault.md)");
  }
  if (impl_->opts.access_resolver == nullptr) {
    return make_error(sqlstate::kFeatureNotSupported,
                      "EXPLAIN VAULT of engine SQL needs the engine's access sets, and none "
                      "is configured");
  }
  auto sn = impl_->snap();
  auto accesses = impl_->opts.access_resolver->accesses(*sn, sql->text);
  if (!accesses) return std::move(accesses).error();
  StatementResult r;
  r.tag = "EXPLAIN";
  r.columns = {"object", "check", "verdict", "why"};
  for (auto& row :
       vault::explain(*sn, session, accesses->accesses, impl_->now(), accesses->names)) {
    r.rows.push_back(
        {std::move(row.object), std::move(row.check), std::move(row.verdict), std::move(row.why)});
  }
  return r;
}

std::vector<ExplainRow> Vault::explain(Session& session, std::span<const Access> accesses) const {
  auto sn = impl_->snap();
  return vault::explain(*sn, session, accesses, impl_->now());
}

Status Vault::reload() {
  std::lock_guard lock(impl_->change_mu);
  return impl_->refresh();
}

std::shared_ptr<const PolicySnapshot> Vault::snapshot() const { return impl_->snap(); }

std::uint64_t Vault::snapshot_generation() const { return impl_->holder.generation(); }

void Vault::set_key_listener(KeyListener* listener) { impl_->key_listener.store(listener); }

void Vault::set_tablespace_host(TablespaceHost* host) { impl_->tablespace_host.store(host); }
void Vault::set_backup_host(BackupHost* host) { impl_->backup_host.store(host); }
void Vault::set_audit_host(AuditHost* host) { impl_->audit_host.store(host); }

}  // namespace dbvault::vault
