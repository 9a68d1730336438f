#include "pgext/backend_vault.h"

#include <algorithm>
#include <cctype>

#include "audit/event.h"
#include "audit/keys.h"
#include "audit/reader.h"
#include "crypto/kdf.h"
#include "grammar/parser.h"
#include "pgext/test_clock.h"
#include "vault/credentials.h"
#include "vault/duties.h"
#include "vault/policy_data.h"

namespace dbvault::pgext {
namespace {

// The vault's token MAC root, derived from the `policy` TEK (made on the first start): the
// same in every backend and across restarts, worthless without the master key.
Result<crypto::SecretBytes> token_root_key(crypto::TekStore& keys) {
  const auto scope = crypto::KeyScope::policy();
  auto tek = keys.unwrap(scope, std::nullopt);
  if (!tek && tek.error().code == sqlstate::kUndefinedObject) {
    if (auto made = keys.create_tek(scope); !made) return std::move(made).error();
    tek = keys.unwrap(scope, std::nullopt);
  }
  if (!tek) return std::move(tek).error();
  return crypto::derive_subkey(tek->key, "dbvault vault-token root v1");
}

// Random passwords for the bootstrap accounts: PostgreSQL authenticates its roles, so the
// vault's own passwords of these accounts are never used, and nobody knows them.
Status fill_bootstrap(vault::BootstrapAccounts& b) {
  for (vault::BootstrapAccount* a : {&b.dba, &b.secadmin, &b.auditor}) {
    auto pw = vault::random_password();
    if (!pw) return std::move(pw).error();
    a->password = std::move(*pw);
  }
  return ok_status();
}

}  // namespace

BackendVault::~BackendVault() = default;

Result<std::unique_ptr<BackendVault>> BackendVault::open(BackendOptions options) {
  std::unique_ptr<BackendVault> bv(new BackendVault());
  if (!options.audit) return make_error(sqlstate::kInvalidParameterValue, "no audit sink");
  DBV_RETURN_IF_ERROR(make_private_dir(options.policy_path.parent_path()));
  DBV_RETURN_IF_ERROR(make_private_dir(options.keys_dir));
  {
    auto lock = StoreLock::take(options.keys_dir / "open.lock");
    if (!lock) return std::move(lock).error();
    DBV_RETURN_IF_ERROR(bv->open_locked(options));
  }
  auto session = bv->vault_->login(options.user, options.info);
  if (session) {
    bv->session_.emplace(std::move(*session));
  } else if (session.error().code == sqlstate::kInvalidAuthorization) {
    bv->session_.emplace(0, options.user, options.info);  // not a vault user: no realm admits it
  } else {
    return std::move(session).error();
  }
  return bv;
}

Status BackendVault::open_locked(BackendOptions& options) {
  auto clock = make_clock(options.test_clock_file);
  if (!clock) return std::move(clock).error();
  clock_ = std::move(*clock);
  auto keys = open_keys(options.keys_dir, options.master_key_provider, *clock_);
  if (!keys) return std::move(keys).error();
  keys_ = std::move(*keys);
  sink_ = std::move(options.audit);
  audit_dir_ = options.audit_dir;
  auto root = token_root_key(*keys_.store);
  if (!root) return std::move(root).error();

  vault::Options o;
  o.policy_path = options.policy_path;
  o.audit = sink_.get();
  o.clock = clock_.get();
  o.token_root_key = std::move(*root);
  o.privileges = vault::Privileges::kHost;
  DBV_RETURN_IF_ERROR(fill_bootstrap(o.bootstrap));
  auto v = vault::Vault::open(std::move(o));
  if (!v) return std::move(v).error();
  vault_ = std::move(*v);
  return ok_status();
}

Result<vault::StatementResult> BackendVault::execute(std::string_view sql, PolicyMove* move) {
  PolicyMove ignored;
  PolicyMove& m = move != nullptr ? *move : ignored;
  m = PolicyMove{};
  auto statement = grammar::parse(sql);
  if (!statement) return std::move(statement).error();
  const std::uint64_t before = vault_->snapshot()->version();
  auto result = vault_->execute(*session_, *statement);
  m.moved = vault_->snapshot()->version() != before;
  if (!result) {
    const std::string_view code = result.error().code.code();
    if (code.starts_with("58") || code.starts_with("XX")) m = {true, false};
  }
  return result;
}

Status BackendVault::check(const std::vector<RelationAccess>& relations, std::string_view query) {
  const auto snap = vault_->snapshot();
  const std::vector<vault::Access> accesses = to_vault_accesses(*snap, relations);
  return vault_->check(*session_, accesses, query);
}

bool BackendVault::allows_silently(std::span<const vault::Access> accesses) {
  const vault::Decision d = vault_->decide(*session_, accesses);
  return d.allowed() && d.events.empty();
}

bool BackendVault::may_read_resolved(std::span<const vault::Access> accesses) {
  return vault_->decide(*session_, accesses).allowed();
}

std::vector<vault::Access> BackendVault::resolve(
    const std::vector<RelationAccess>& relations) const {
  return to_vault_accesses(*vault_->snapshot(), relations);
}

Status BackendVault::check_as_body_owner(std::string_view owner,
                                         const std::vector<RelationAccess>& relations,
                                         std::string_view query) {
  const auto snap = vault_->snapshot();
  const std::vector<vault::Access> accesses = to_vault_accesses(*snap, relations);
  vault::Session body(snap->find_user(owner).value_or(0), std::string(owner), session_->info());
  Status s = vault_->check(body, accesses, query);
  if (s.ok() || s.error().code != sqlstate::kInsufficientPrivilege) return s;
  Error e = s.error();
  e.detail = "The statement runs code owned by " + std::string(owner) +
             " (a view, a trigger or another function), which must be admitted on its own: a "
             "body never borrows the caller's unlock.";
  return e;
}

bool BackendVault::may_read_rows(const std::vector<RelationAccess>& relations) {
  return may_read_resolved(resolve(relations));
}

audit::Event BackendVault::session_event(audit::EventType type) const {
  audit::Event e;
  e.type = type;
  e.user = session_->user_name();
  e.ip_address = session_->info().client_ip;
  e.session_id = session_->info().session_id;
  return e;
}

Status BackendVault::record_durably(const audit::Event& e) {
  if (auto st = sink_->record(e, true); !st.ok()) {
    return make_error(sqlstate::kSystemError, "audit log unavailable: " + st.error().message);
  }
  return ok_status();
}

vault::StatementResult BackendVault::explain(const std::vector<RelationAccess>& relations) {
  const auto snap = vault_->snapshot();
  const std::vector<vault::Access> accesses = to_vault_accesses(*snap, relations);
  std::vector<std::string> names;  // the engine's names, for objects the vault does not know
  for (const RelationAccess& r : relations) {
    names.push_back(r.schema + "." + r.table);
    for (const std::string& c : r.columns) names.push_back(r.schema + "." + r.table + "." + c);
  }
  vault::StatementResult result;
  result.tag = "EXPLAIN";
  result.columns = {"object", "check", "verdict", "why"};
  for (auto& row : vault::explain(*snap, *session_, accesses, clock_->now(), names)) {
    if (row.check.rfind("privilege", 0) == 0) continue;  // PostgreSQL's ACL is the RBAC step
    result.rows.push_back(
        {std::move(row.object), std::move(row.check), std::move(row.verdict), std::move(row.why)});
  }
  return result;
}

namespace {

// The realm that holds `object` (or, for a column, its table), for an error message.
std::string realm_of(const vault::PolicySnapshot& snap, rules::ObjectId object,
                     const vault::ObjectInfo& info) {
  for (const auto& ro : snap.data().realm_objects) {
    if (ro.object_id != object && ro.object_id != info.table_id) continue;
    for (const auto& r : snap.data().realms) {
      if (r.id == ro.realm_id) return r.name;
    }
  }
  return "a realm";
}

}  // namespace

Status BackendVault::refuse_realm_objects(const std::vector<RelationAccess>& relations) {
  const auto snap = vault_->snapshot();
  if (!snap->vault_enabled()) return ok_status();
  for (const vault::Access& a : to_vault_accesses(*snap, relations)) {
    const vault::ObjectInfo* obj = snap->object(a.object);
    if (obj == nullptr || !obj->in_realm) continue;
    const std::string realm = realm_of(*snap, a.object, *obj);
    Error e = make_error(sqlstate::kInsufficientPrivilege,
                         "dbvault: " + snap->object_name(a.object) + " is in realm " + realm +
                             " and cannot be renamed or moved to another schema");
    e.detail = "Realm membership is by name: the new name would not be protected.";
    return e;
  }
  return ok_status();
}

Status BackendVault::refuse_schema_with_realm_objects(std::string_view pg_schema) {
  const auto snap = vault_->snapshot();
  if (!snap->vault_enabled()) return ok_status();
  const auto same = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  };
  // "", "main" and PostgreSQL's "public" are all the vault's default schema.
  const auto canonical = [&](std::string_view schema) {
    return same(schema, "main") ? std::string() : std::string(schema);
  };
  const std::string wanted = canonical(vault_schema(std::string(pg_schema)));
  for (const auto& row : snap->data().objects) {
    if (!same(canonical(row.schema), wanted)) continue;
    const auto id = snap->resolve_access_object({{row.schema, row.table}, row.column});
    const vault::ObjectInfo* obj = id ? snap->object(*id) : nullptr;
    if (obj == nullptr || !obj->in_realm) continue;
    Error e = make_error(sqlstate::kInsufficientPrivilege,
                         "dbvault: schema " + std::string(pg_schema) + " holds " +
                             snap->object_name(*id) + ", which is in a realm");
    e.detail = "Renaming or dropping the schema would take its tables out of their realms.";
    return e;
  }
  return ok_status();
}

Status BackendVault::refuse_while_realms_protect(std::string_view command) {
  const auto snap = vault_->snapshot();
  if (!snap->vault_enabled()) return ok_status();
  if (snap->data().realm_objects.empty()) return ok_status();
  Error e = make_error(sqlstate::kInsufficientPrivilege, "dbvault: " + std::string(command) +
                                                             " is refused while realms protect "
                                                             "objects");
  e.hint = "Drop or re-own the tables one by one (each is checked against its realm).";
  return e;
}

Status BackendVault::check_duties(std::string_view command) {
  const auto snap = vault_->snapshot();
  if (vault::side_of_user(*snap, session_->user_id()) != vault::DutySide::kVault) {
    return ok_status();
  }
  audit::Event e = session_event(audit::EventType::kSodViolation);
  e.result = audit::Outcome::kDenied;
  e.detail["command"] = std::string(command);
  e.detail["rule"] = "vault_side_ddl";
  DBV_RETURN_IF_ERROR(record_durably(e));
  return make_error(sqlstate::kInsufficientPrivilege,
                    std::string(command) +
                        ": a holder of VAULT_ADMIN or AUDIT_VIEWER may not run it (separation "
                        "of duties)");
}

Status BackendVault::record_export(const std::vector<RelationAccess>& relations,
                                   std::string_view query) {
  for (const RelationAccess& r : relations) {
    audit::Event e = session_event(audit::EventType::kDataExport);
    e.detail["method"] = "COPY TO";
    e.detail["object"] = r.schema.empty() ? r.table : r.schema + "." + r.table;
    e.detail["program_name"] = session_->info().program_name;
    if (!query.empty()) e.detail["query"] = std::string(query);
    DBV_RETURN_IF_ERROR(record_durably(e));
  }
  return ok_status();
}

Result<std::vector<std::string>> BackendVault::audit_records() {
  if (!vault_->snapshot()->has_role(session_->user_id(), vault::kRoleAuditViewer)) {
    return make_error(sqlstate::kInsufficientPrivilege, "dbvault.audit_log requires AUDIT_VIEWER");
  }
  auto keys = audit::load_audit_keys(*keys_.store, false);
  if (!keys) return std::move(keys).error();
  auto reader = audit::LogReader::open(audit_dir_, std::move(*keys));
  if (!reader) return std::move(reader).error();
  std::vector<std::string> lines;
  DBV_RETURN_IF_ERROR((*reader)->scan({}, [&](const audit::Record& r) {
    lines.push_back(audit::export_json(r));
    return true;
  }));
  return lines;
}

}  // namespace dbvault::pgext
