// Users, roles and table privileges, with the separation-of-duty checks (vault/duties.h):
//   CREATE USER                       ACCOUNT_MANAGER
//   ALTER USER, DROP USER             the manager of the account's side: VAULT_ADMIN for a
//                                     holder of VAULT_ADMIN or AUDIT_VIEWER, else
//                                     ACCOUNT_MANAGER (ALTER USER also the user itself);
//                                     ALTER USER of an account a realm authorizes: only the
//                                     user itself (a reset is logging in as it, and so reading
//                                     the realm: first a VAULT_ADMIN unauthorizes it)
//   CREATE/DROP ROLE                  DBA or ACCOUNT_MANAGER
//   GRANT/REVOKE a role               exec_role_grants.cpp
//   GRANT/REVOKE table privileges     DBA
#include <span>

#include "vault/decision.h"
#include "vault/duties.h"
#include "vault/rule_dependents.h"
#include "vault/vault_impl.h"

namespace dbvault::vault {

namespace {

// DROP USER / DROP ROLE of a name that command rules or rule sets resolve: without CASCADE,
// 2BP01 listing them; with CASCADE, the rules stay and fail closed (dropping them is a
// VAULT_ADMIN's decision, not an account manager's), and the drop's event (written durably,
// as every drop is) lists them.
Status check_dependents(const PolicySnapshot& snap, ast::PrincipalKind kind,
                        const std::string& name, bool cascade, audit::Event& event) {
  const auto rules = rules_naming(snap, kind, name);
  if (rules.empty()) return ok_status();
  std::string list;
  for (const auto& r : rules) list += (list.empty() ? "" : ", ") + r;
  if (!cascade) {
    const char* what = kind == ast::PrincipalKind::kUser ? "user " : "role ";
    return make_error(sqlstate::kDependentObjectsStillExist,
                      std::string("cannot drop ") + what + name + " because " + list +
                          " names it; with CASCADE they stay and deny their commands "
                          "everywhere until a VAULT_ADMIN drops or re-creates them");
  }
  constexpr std::size_t kMaxDetail = 2048;  // an audit detail string holds at most 4096
  if (list.size() > kMaxDetail) {
    list = list.substr(0, kMaxDetail) + "... (" + std::to_string(rules.size()) + " in all)";
  }
  event.severity = audit::Severity::kWarning;
  event.detail["cascade"] = true;
  event.detail["dependent_rules"] = list;
  return ok_status();
}

std::uint32_t privilege_mask(const std::vector<ast::Privilege>& privileges) {
  std::uint32_t mask = 0;
  for (auto p : privileges) {
    switch (p) {
      case ast::Privilege::kSelect:
        mask |= kPrivSelect;
        break;
      case ast::Privilege::kInsert:
        mask |= kPrivInsert;
        break;
      case ast::Privilege::kUpdate:
        mask |= kPrivUpdate;
        break;
      case ast::Privilege::kDelete:
        mask |= kPrivDelete;
        break;
      case ast::Privilege::kAll:
        mask |= kPrivAll;
        break;
    }
  }
  return mask;
}

}  // namespace

audit::Event policy_event(const VaultImpl& v, const Session& s, std::string_view statement,
                          std::string_view object) {
  audit::Event e = v.event(audit::EventType::kPolicyChanged, s);
  e.detail["statement"] = std::string(statement);
  e.detail["object"] = std::string(object);
  return e;
}

Error no_user(std::string_view name) {
  return make_error(sqlstate::kUndefinedObject, "user " + std::string(name) + " does not exist");
}

Error sod_refusal(VaultImpl& v, const Session& s, std::string_view statement, std::string_view rule,
                  std::string message) {
  audit::Event e = v.event(audit::EventType::kSodViolation, s);
  e.result = audit::Outcome::kDenied;
  e.detail["command"] = std::string(statement);
  e.detail["rule"] = std::string(rule);
  (void)v.audit(e, false);  // the statement is refused either way
  return make_error(sqlstate::kInsufficientPrivilege, std::move(message));
}

Status require_manager(VaultImpl& v, const Session& s, std::uint32_t user,
                       std::string_view statement) {
  const DutySide side = side_of_user(*v.snap(), user);
  const std::string what = std::string(statement) +
                           (side == DutySide::kVault ? " of a VAULT_ADMIN or AUDIT_VIEWER" : "");
  return v.require_role(s, manager_of(side), what);
}

Status keep_last_vault_admin(VaultImpl& v, const Session& s, std::uint32_t user,
                             std::string_view statement) {
  auto sn = v.snap();
  if (!sn->has_role(user, kRoleVaultAdmin) || holder_count(*sn, kRoleVaultAdmin) > 1) {
    return ok_status();
  }
  return sod_refusal(v, s, statement, "last_vault_admin",
                     std::string(statement) + " would leave no VAULT_ADMIN: " +
                         std::string(sn->user_name(user)) + " is the last one");
}

Status require_either(VaultImpl& v, const Session& s, std::string_view statement) {
  auto sn = v.snap();
  if (sn->has_role(s.user_id(), kRoleDba) || sn->has_role(s.user_id(), kRoleAccountManager)) {
    return ok_status();
  }
  return v.sod_violation(s, "DBA or ACCOUNT_MANAGER", statement);
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::CreateUser& st) {
  DBV_RETURN_IF_ERROR(require_role(s, kRoleAccountManager, "CREATE USER"));
  if (snap()->find_user(st.name)) {
    return make_error(sqlstate::kDuplicateObject, "user " + st.name + " already exists");
  }
  auto verifier = make_scram_verifier(st.password, opts.scram_iterations);
  if (!verifier) return std::move(verifier).error();
  return apply_change(
      "CREATE USER",
      [&](PolicyStore::Db& db) {
        return db.run("INSERT INTO users (name, scram_verifier, created_at) VALUES (?, ?, ?)",
                      st.name, *verifier, now_us());
      },
      policy_event(*this, s, "CREATE USER", st.name));
}

namespace {

// The name of a realm whose authorization alone admits `user` (no REQUIRE VAULT PASSWORD;
// authorized directly, through a role, or as its OWNER); empty if none does.
std::string realm_authorizing(const PolicySnapshot& sn, std::uint32_t user) {
  for (std::uint32_t r = 0; r < sn.realm_capacity(); ++r) {
    const RealmInfo* realm = sn.realm(r);
    if (realm != nullptr && !realm->require_password &&
        sn.authorized(user, *realm, /*as_owner=*/false)) {
      return realm->name;
    }
  }
  return "";
}

}  // namespace

Result<StatementResult> VaultImpl::run(Session& s, const ast::AlterUser& st) {
  auto id = snap()->find_user(st.name);
  if (!id) {  // the authority first: to a caller who manages no account, unknown looks denied
    DBV_RETURN_IF_ERROR(require_role(s, kRoleAccountManager, "ALTER USER"));
    return no_user(st.name);
  }
  auto verifier = make_scram_verifier(st.password, opts.scram_iterations);
  if (!verifier) return std::move(verifier).error();
  return apply_change(
      "ALTER USER",
      [&](PolicyStore::Db& db) -> Status {
        // Resetting another account's password is logging in as it: only its side's manager.
        // Checked inside the change, so that no concurrent GRANT moves the account to the
        // other side between the check and the write.
        if (*id != s.user_id()) {
          DBV_RETURN_IF_ERROR(require_manager(*this, s, *id, "ALTER USER"));
          // Whoever resets the password can log in as the account and read what its realm
          // authorizations admit: the account side would enter the realm alone.
          if (const std::string realm = realm_authorizing(*snap(), *id); !realm.empty()) {
            return sod_refusal(*this, s, "ALTER USER", "realm_authorized_account",
                               "ALTER USER: realm " + realm + " authorizes " + st.name +
                                   ", so only " + st.name +
                                   " may change its password; a VAULT_ADMIN first removes the "
                                   "authorization (ALTER REALM ... UNAUTHORIZE) for a reset");
          }
        }
        return db.run("UPDATE users SET scram_verifier = ? WHERE id = ?", *verifier, *id);
      },
      policy_event(*this, s, "ALTER USER", st.name));
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::DropUser& st) {
  auto id = snap()->find_user(st.name);
  if (!id) {
    DBV_RETURN_IF_ERROR(require_role(s, kRoleAccountManager, "DROP USER"));
    if (st.if_exists) return tag_only("DROP USER");
    return no_user(st.name);
  }
  audit::Event ev = policy_event(*this, s, "DROP USER", st.name);
  return apply_change(
      "DROP USER",
      [&](PolicyStore::Db& db) -> Status {
        // Inside the change (see ALTER USER); they complete `ev`, which is recorded after.
        DBV_RETURN_IF_ERROR(require_manager(*this, s, *id, "DROP USER"));
        DBV_RETURN_IF_ERROR(keep_last_vault_admin(*this, s, *id, "DROP USER"));
        DBV_RETURN_IF_ERROR(
            check_dependents(*snap(), ast::PrincipalKind::kUser, st.name, st.cascade, ev));
        DBV_RETURN_IF_ERROR(db.run(
            "DELETE FROM realm_authorizations WHERE principal_kind = 0 AND principal_id = ?", *id));
        DBV_RETURN_IF_ERROR(
            db.run("DELETE FROM privileges WHERE grantee_kind = 0 AND grantee_id = ?", *id));
        return db.run("DELETE FROM users WHERE id = ?", *id);
      },
      ev, /*durable=*/true);
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::CreateRole& st) {
  DBV_RETURN_IF_ERROR(require_either(*this, s, "CREATE ROLE"));
  if (snap()->find_role(st.name)) {
    return make_error(sqlstate::kDuplicateObject, "role " + st.name + " already exists");
  }
  return apply_change(
      "CREATE ROLE",
      [&](PolicyStore::Db& db) { return db.run("INSERT INTO roles (name) VALUES (?)", st.name); },
      policy_event(*this, s, "CREATE ROLE", st.name));
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::DropRole& st) {
  DBV_RETURN_IF_ERROR(require_either(*this, s, "DROP ROLE"));
  auto id = snap()->find_role(st.name);
  if (!id) {
    if (st.if_exists) return tag_only("DROP ROLE");
    return make_error(sqlstate::kUndefinedObject, "role " + st.name + " does not exist");
  }
  if (*id <= kRoleDba) {
    return make_error(sqlstate::kInsufficientPrivilege,
                      "built-in role " + st.name + " cannot be dropped");
  }
  audit::Event ev = policy_event(*this, s, "DROP ROLE", st.name);
  return apply_change(
      "DROP ROLE",
      [&](PolicyStore::Db& db) -> Status {
        // Inside the change, so that no rule naming the role is created meanwhile.
        DBV_RETURN_IF_ERROR(
            check_dependents(*snap(), ast::PrincipalKind::kRole, st.name, st.cascade, ev));
        DBV_RETURN_IF_ERROR(refuse_masked_role(db, *id, st.name));
        DBV_RETURN_IF_ERROR(db.run(
            "DELETE FROM realm_authorizations WHERE principal_kind = 1 AND principal_id = ?", *id));
        DBV_RETURN_IF_ERROR(
            db.run("DELETE FROM privileges WHERE grantee_kind = 1 AND grantee_id = ?", *id));
        return db.run("DELETE FROM roles WHERE id = ?", *id);
      },
      ev, /*durable=*/true);
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::GrantPrivileges& st) {
  const char* statement = st.grant ? "GRANT" : "REVOKE";
  DBV_RETURN_IF_ERROR(require_role(s, kRoleDba, statement));
  auto sn = snap();
  auto user = sn->find_user(st.grantee);
  auto role = user ? std::nullopt : sn->find_role(st.grantee);
  if (!user && !role) {
    return make_error(sqlstate::kUndefinedObject, "user or role " + st.grantee + " does not exist");
  }
  const int kind = user ? 0 : 1;
  const std::uint32_t grantee = user ? *user : *role;
  const std::uint32_t mask = privilege_mask(st.privileges);
  // Changing who may touch a table is a GRANT on it (REVOKE too): the table's realms (the
  // granting session must be admitted) and command rules FOR GRANT decide first, as for any
  // command.
  if (auto object = sn->resolve_access_object({st.table, ""})) {
    const Access access{ast::Command::kGrant, *object};
    Decision d = decide(*sn, s, std::span<const Access>(&access, 1), now());
    for (const auto& e : d.events) DBV_RETURN_IF_ERROR(audit(e, true));
    if (!d.allowed()) return *d.error;
  }
  return apply_change(
      statement,
      [&](PolicyStore::Db& db) -> Status {
        auto id = store::ensure_object(db, store::schema_of(st.table), st.table.name, "");
        if (!id) return std::move(id).error();
        if (st.grant) {
          return db.run(
              "INSERT INTO privileges VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
              "privileges = privileges | excluded.privileges",
              *id, kind, grantee, mask);
        }
        DBV_RETURN_IF_ERROR(
            db.run("UPDATE privileges SET privileges = privileges & ~? WHERE object_id = ? AND "
                   "grantee_kind = ? AND grantee_id = ?",
                   mask, *id, kind, grantee));
        return db.run("DELETE FROM privileges WHERE privileges = 0");
      },
      policy_event(*this, s, statement, st.table.name + " " + st.grantee));
}

}  // namespace dbvault::vault
