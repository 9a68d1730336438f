// GRANT / REVOKE a role, with the separation-of-duty rules of vault/duties.h:
//   - nobody grants a role to themselves (nor to a role they are a member of);
//   - built-in roles go to users only: a role holding one would let whoever manages that
//     role's members mint holders;
//   - VAULT_ADMIN and AUDIT_VIEWER are granted and revoked by a VAULT_ADMIN, DBA and
//     ACCOUNT_MANAGER by an ACCOUNT_MANAGER;
//   - no account holds roles of both sides (vault: VAULT_ADMIN, AUDIT_VIEWER; account: DBA,
//     ACCOUNT_MANAGER);
//   - an ordinary role is granted to or revoked from a holder of VAULT_ADMIN or AUDIT_VIEWER
//     by a VAULT_ADMIN, to anyone else by a DBA or an ACCOUNT_MANAGER — except that a role
//     a realm authorizes (itself or through a role it is a member of) is granted by a
//     VAULT_ADMIN only: the grant admits the grantee to the realm, which is the vault side's
//     decision (else an account manager could mint an account, grant it the role and read
//     the realm without any vault password); so is a role whose masking policy shows a
//     column more than its mask for every session (itself or through a role it is a member
//     of): the grant lifts that mask for the grantee, and a mask for every session is the
//     vault side's protection against the account side (docs/encryption.md §11.2);
//   - the last VAULT_ADMIN keeps the role.
// Every refusal is 42501 with a sod_violation event.
#include <set>

#include "vault/duties.h"
#include "vault/masking_policy.h"
#include "vault/vault_impl.h"

namespace dbvault::vault {

namespace {

std::uint32_t builtin_id(ast::BuiltinRole r) {
  switch (r) {
    case ast::BuiltinRole::kVaultAdmin:
      return kRoleVaultAdmin;
    case ast::BuiltinRole::kAuditViewer:
      return kRoleAuditViewer;
    case ast::BuiltinRole::kAccountManager:
      return kRoleAccountManager;
    case ast::BuiltinRole::kDba:
      return kRoleDba;
  }
  return 0;
}

// Who the grant goes to: a user, else a role of that name.
struct Grantee {
  std::optional<std::uint32_t> user, role;
};

// `role` and the roles it is (transitively) a member of: what a grant of it confers.
std::set<std::uint32_t> conferred(const PolicySnapshot& sn, std::uint32_t role) {
  std::set<std::uint32_t> held;
  std::vector<std::uint32_t> todo{role};
  while (!todo.empty()) {  // the set stops cycles
    const std::uint32_t r = todo.back();
    todo.pop_back();
    if (!held.insert(r).second) continue;
    for (const auto& m : sn.data().memberships) {
      if (m.member_kind == ast::PrincipalKind::kRole && m.member_id == r) todo.push_back(m.role_id);
    }
  }
  return held;
}

// "schema.table.column" of a masking policy FOR one of the roles a grant of `role` confers
// that shows the column more than the column's mask for every session; empty if none does.
std::string mask_lifted(const PolicySnapshot& sn, std::uint32_t role) {
  const auto held = conferred(sn, role);
  const auto& rows = sn.data().maskings;
  for (const auto& m : rows) {
    if (m.role_id == 0 || !held.contains(m.role_id)) continue;
    for (const auto& d : rows) {
      if (d.role_id == 0 && d.schema == m.schema && d.table == m.table && d.column == m.column &&
          stricter(d.mode, m.mode) != m.mode) {
        return m.schema + "." + m.table + "." + m.column;
      }
    }
  }
  return "";
}

// The name of a realm that authorizes `role` or a role it is (transitively) a member of;
// empty if none does.
std::string realm_admitting(const PolicySnapshot& sn, std::uint32_t role) {
  const auto held = conferred(sn, role);
  for (const auto& a : sn.data().authorizations) {
    if (a.kind != ast::PrincipalKind::kRole || !held.contains(a.principal_id)) continue;
    const RealmInfo* realm = sn.realm(a.realm_id);
    return realm != nullptr ? realm->name : std::to_string(a.realm_id);
  }
  return "";
}

// The caller's authority over this grant, and the rules that hold whoever the caller is.
// REQUIRES: runs inside VaultImpl::change(), so that no other policy change lands between
// these checks and the write.
Status check_duties(VaultImpl& v, const Session& s, const ast::GrantRole& st, std::uint32_t role,
                    const Grantee& to, const std::string& statement) {
  auto sn = v.snap();
  if (is_backup_right(*sn, role)) {  // the account side's half of a backup (exec_backup.cpp)
    return check_backup_right_grant(v, s, st.grant, to.user.has_value(),
                                    to.user && *to.user == s.user_id(), statement);
  }
  const bool builtin = side_of_role(role) != DutySide::kNone;
  if (builtin) {
    DBV_RETURN_IF_ERROR(v.require_role(s, manager_of(side_of_role(role)), statement));
  } else if (to.user && side_of_user(*sn, *to.user) == DutySide::kVault) {
    DBV_RETURN_IF_ERROR(
        v.require_role(s, kRoleVaultAdmin, statement + " of a VAULT_ADMIN or AUDIT_VIEWER"));
  } else if (const std::string realm = st.grant ? realm_admitting(*sn, role) : ""; !realm.empty()) {
    DBV_RETURN_IF_ERROR(v.require_role(
        s, kRoleVaultAdmin, statement + " of a role that realm " + realm + " authorizes"));
  } else if (const std::string column = st.grant ? mask_lifted(*sn, role) : ""; !column.empty()) {
    DBV_RETURN_IF_ERROR(v.require_role(s, kRoleVaultAdmin,
                                       statement + " of a role whose mask shows " + column +
                                           " more than its mask for every session"));
  } else {
    DBV_RETURN_IF_ERROR(require_either(v, s, statement));
  }
  if (!st.grant) {
    return role == kRoleVaultAdmin && to.user ? keep_last_vault_admin(v, s, *to.user, statement)
                                              : ok_status();
  }
  if (builtin && to.role) {
    return sod_refusal(
        v, s, statement, "builtin_to_role",
        statement + ": built-in roles are granted to users only, not to role " + st.grantee);
  }
  const bool to_self = to.user ? *to.user == s.user_id() : sn->has_role(s.user_id(), *to.role);
  if (to_self) {
    return sod_refusal(v, s, statement, "self_grant",
                       statement + ": nobody may grant a role to themselves");
  }
  if (!to.user) return ok_status();
  if (auto held = conflicting_role(*sn, *to.user, role)) {
    return sod_refusal(v, s, statement, "conflicting_roles",
                       statement + ": " + st.grantee + " holds " + role_label(*sn, *held) +
                           ", which may not be held together with " + role_label(*sn, role));
  }
  return ok_status();
}

}  // namespace

Result<StatementResult> VaultImpl::run(Session& s, const ast::GrantRole& st) {
  std::string statement = st.grant ? "GRANT ROLE" : "REVOKE ROLE";
  auto sn = snap();
  std::uint32_t role = 0;
  if (st.builtin) {
    role = builtin_id(*st.builtin);
    statement += " " + role_label(*sn, role);
  } else {
    auto id = sn->find_role(st.role);
    if (!id) {
      DBV_RETURN_IF_ERROR(require_either(*this, s, statement));
      return make_error(sqlstate::kUndefinedObject, "role " + st.role + " does not exist");
    }
    role = *id;
  }
  Grantee to{sn->find_user(st.grantee), std::nullopt};
  if (!to.user) to.role = sn->find_role(st.grantee);
  if (!to.user && !to.role) {
    DBV_RETURN_IF_ERROR(require_either(*this, s, statement));
    return make_error(sqlstate::kUndefinedObject, "user or role " + st.grantee + " does not exist");
  }
  if (to.role && *to.role == role) {
    return make_error(sqlstate::kInvalidParameterValue, "a role cannot be a member of itself");
  }
  if (Status outer_ = change(
          [&](PolicyStore::Db& db) -> Status {
            // Inside the change (under change_mu, on the snapshot of every committed change):
            // two concurrent grants of roles of both sides cannot both pass the pair check.
            DBV_RETURN_IF_ERROR(check_duties(*this, s, st, role, to, statement));
            if (to.user) {
              return st.grant
                         ? db.run("INSERT OR IGNORE INTO user_roles VALUES (?, ?)", *to.user, role)
                         : db.run("DELETE FROM user_roles WHERE user_id = ? AND role_id = ?",
                                  *to.user, role);
            }
            return st.grant
                       ? db.run("INSERT OR IGNORE INTO role_roles VALUES (?, ?)", *to.role, role)
                       : db.run("DELETE FROM role_roles WHERE member_role_id = ? AND role_id = ?",
                                *to.role, role);
          },
          policy_event(*this, s, statement, std::string(sn->role_name(role)) + " " + st.grantee));
      !outer_.ok())
    return std::move(outer_).error();
  return tag_only(st.grant ? "GRANT ROLE" : "REVOKE ROLE");
}

}  // namespace dbvault::vault
