// CREATE / ALTER / DROP REALM.
#include <cctype>

#include "grammar/grammar.h"
#include "vault/vault_impl.h"

namespace dbvault::vault {

namespace {

std::string object_text(const ast::ObjectRef& o) {
  std::string s = store::schema_of(o.table) + "." + o.table.name;
  if (!o.column.empty()) s += "." + o.column;
  return s;
}

audit::Event realm_event(const VaultImpl& v, const Session& s, std::string_view realm,
                         std::string_view action, std::string object = {}) {
  audit::Event e = v.event(audit::EventType::kRealmModified, s, std::string(realm));
  e.detail["action"] = std::string(action);
  e.detail["by"] = s.user_name();
  if (!object.empty()) e.detail["object"] = std::move(object);
  return e;
}

Result<std::uint32_t> principal_id(const PolicySnapshot& sn, const ast::Principal& p) {
  auto id = p.kind == ast::PrincipalKind::kUser ? sn.find_user(p.name) : sn.find_role(p.name);
  if (!id) {
    return make_error(sqlstate::kUndefinedObject,
                      std::string(p.kind == ast::PrincipalKind::kUser ? "user " : "role ") +
                          p.name + " does not exist");
  }
  return *id;
}

// The users a principal stands for: the user itself, or every user holding the role (directly
// or through another role) in `sn`.
std::vector<std::uint32_t> users_of(const PolicySnapshot& sn, ast::PrincipalKind kind,
                                    std::uint32_t id) {
  if (kind == ast::PrincipalKind::kUser) return {id};
  std::vector<std::uint32_t> out;
  for (const auto& u : sn.data().users) {
    if (sn.has_role(u.id, id)) out.push_back(u.id);
  }
  return out;
}

// Revokes the live tokens `users` hold on `realm`, so that no session keeps, and no pooled
// connection regains, an unlock they were admitted to before access was taken away. A user
// still authorized another way unlocks again.
Status revoke_tokens_of(PolicyStore::Db& db, rules::RealmId realm,
                        const std::vector<std::uint32_t>& users) {
  for (std::uint32_t u : users) {
    DBV_RETURN_IF_ERROR(db.run(
        "UPDATE vault_tokens SET revoked = 1 WHERE realm_id = ? AND user_id = ? AND revoked = 0",
        realm, u));
  }
  return ok_status();
}

// Tablespace names are case-insensitive, folded to lower case (docs/encryption.md §9.2): the
// binding is stored as the engine names the tablespace's schema.
std::string folded(std::string name) {
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// 42710 when `tablespace` exists, or is bound to a realm already (a binding outlives its
// tablespace: the name stays that realm's).
Status check_tablespace_free(PolicyStore& store, const TablespaceHost& host,
                             const std::string& tablespace) {
  if (host.tablespace_exists(tablespace)) {
    return make_error(sqlstate::kDuplicateObject, "tablespace " + tablespace + " already exists");
  }
  std::string owner;
  DBV_RETURN_IF_ERROR(store.read([&](PolicyStore::Db& db) -> Status {
    auto q = db.prepare(
        "SELECT r.name FROM realm_tablespaces b JOIN realms r ON r.id = b.realm_id "
        "WHERE b.tablespace = ?");
    if (!q) return std::move(q).error();
    q->bind_all(tablespace);
    auto row = q->step();
    if (!row) return std::move(row).error();
    if (*row) owner = q->text(0);
    return ok_status();
  }));
  if (!owner.empty()) {
    return make_error(sqlstate::kDuplicateObject,
                      "tablespace " + tablespace + " belongs to realm " + owner);
  }
  return ok_status();
}

}  // namespace

Result<StatementResult> VaultImpl::run(Session& s, const ast::CreateRealm& st) {
  DBV_RETURN_IF_ERROR(require_role(s, kRoleVaultAdmin, "CREATE REALM"));
  auto sn = snap();
  if (sn->find_realm(st.name)) {
    return make_error(sqlstate::kDuplicateObject, "realm " + st.name + " already exists");
  }
  std::optional<std::string> tablespace;
  if (st.tablespace) {
    const TablespaceHost* host = tablespace_host.load();
    if (host == nullptr) {
      return make_error(sqlstate::kFeatureNotSupported,
                        "CREATE REALM ... TABLESPACE needs the host's storage, and none is attached");
    }
    tablespace = folded(*st.tablespace);
    DBV_RETURN_IF_ERROR(check_tablespace_free(*store, *host, *tablespace));
  }
  std::optional<std::int64_t> owner;
  if (st.owner) {
    auto id = sn->find_user(*st.owner);
    if (!id) return make_error(sqlstate::kUndefinedObject, "user " + *st.owner + " does not exist");
    owner = *id;
  }
  std::optional<std::string> phc;
  if (st.password) {
    auto h = crypto::hash_password(*st.password, opts.argon2);
    if (!h) return std::move(h).error();
    phc = std::move(h).value();
  }
  audit::Event created = realm_event(*this, s, st.name, "create");
  if (tablespace) created.detail["tablespace"] = *tablespace;
  auto made = apply_change(
      "CREATE REALM",
      [&](PolicyStore::Db& db) -> Status {
        DBV_RETURN_IF_ERROR(db.run(
            "INSERT INTO realms (name, description, owner_user_id, mode, state, "
            "require_password, "
            "password_phc, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            st.name, st.description.value_or(""), owner, static_cast<int>(st.mode),
            static_cast<int>(st.state), st.require_password, phc, now_us()));
        if (!tablespace) return ok_status();
        return db.run(
            "INSERT INTO realm_tablespaces (realm_id, tablespace) "
            "SELECT id, ? FROM realms WHERE name = ?",
            *tablespace, st.name);
      },
      created);
  if (!made || !tablespace) return made;
  // The realm and its binding exist before the file does: no table of the tablespace is ever
  // outside the realm. A tablespace that cannot be made takes the realm back with it.
  auto file = run(s, ast::CreateTablespace{*tablespace, st.tablespace_cipher, std::nullopt});
  if (!file) {
    (void)apply_change(
        "DROP REALM",
        [&](PolicyStore::Db& db) { return db.run("DELETE FROM realms WHERE name = ?", st.name); },
        realm_event(*this, s, st.name, "drop"));
    return std::move(file).error();
  }
  return made;
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::AlterRealmObjects& st) {
  auto sn = snap();
  auto r = realm(*sn, st.realm);
  if (!r) return std::move(r).error();
  const bool add = st.op == ast::AlterRealmObjects::Op::kAdd;
  DBV_RETURN_IF_ERROR(
      require_owner_or_admin(s, *r->second, add ? "ALTER REALM ADD" : "ALTER REALM REMOVE"));
  std::string objects;
  for (const auto& o : st.objects) objects += (objects.empty() ? "" : ", ") + object_text(o);
  return apply_change(
      "ALTER REALM",
      [&](PolicyStore::Db& db) -> Status {
        for (const auto& o : st.objects) {
          auto id = store::ensure_object(db, store::schema_of(o.table), o.table.name, o.column);
          if (!id) return std::move(id).error();
          DBV_RETURN_IF_ERROR(
              add ? db.run("INSERT OR IGNORE INTO realm_objects VALUES (?, ?)", r->first, *id)
                  : db.run("DELETE FROM realm_objects WHERE realm_id = ? AND "
                           "object_id = ?",
                           r->first, *id));
        }
        return ok_status();
      },
      realm_event(*this, s, st.realm, add ? "add" : "remove", objects));
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::AlterRealmAuthorize& st) {
  auto sn = snap();
  auto r = realm(*sn, st.realm);
  if (!r) return std::move(r).error();
  DBV_RETURN_IF_ERROR(require_owner_or_admin(s, *r->second, "ALTER REALM AUTHORIZE"));
  auto pid = principal_id(*sn, st.principal);
  if (!pid) return std::move(pid).error();
  const bool owner = st.as == ast::AlterRealmAuthorize::As::kOwner;
  return apply_change(
      "ALTER REALM",
      [&](PolicyStore::Db& db) {
        return db.run("INSERT OR REPLACE INTO realm_authorizations VALUES (?, ?, ?, ?)", r->first,
                      static_cast<int>(st.principal.kind), *pid, owner);
      },
      realm_event(*this, s, st.realm, owner ? "authorize_owner" : "authorize", st.principal.name));
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::AlterRealmUnauthorize& st) {
  auto sn = snap();
  auto r = realm(*sn, st.realm);
  if (!r) return std::move(r).error();
  DBV_RETURN_IF_ERROR(require_owner_or_admin(s, *r->second, "ALTER REALM UNAUTHORIZE"));
  auto pid = principal_id(*sn, st.principal);
  if (!pid) return std::move(pid).error();
  const auto users = users_of(*sn, st.principal.kind, *pid);
  return apply_change(
      "ALTER REALM",
      [&](PolicyStore::Db& db) -> Status {
        DBV_RETURN_IF_ERROR(
            db.run("DELETE FROM realm_authorizations WHERE realm_id = ? AND principal_kind = ? AND "
                   "principal_id = ?",
                   r->first, static_cast<int>(st.principal.kind), *pid));
        return revoke_tokens_of(db, r->first, users);
      },
      realm_event(*this, s, st.realm, "unauthorize", st.principal.name));
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::AlterRealmSet& st) {
  auto sn = snap();
  auto r = realm(*sn, st.realm);
  if (!r) return std::move(r).error();
  const auto* pw = std::get_if<ast::AlterRealmSet::VaultPassword>(&st.setting);
  if (pw != nullptr) {
    DBV_RETURN_IF_ERROR(require_owner_or_admin(s, *r->second, "ALTER REALM SET VAULT PASSWORD"));
  } else {
    DBV_RETURN_IF_ERROR(require_role(s, kRoleVaultAdmin, "ALTER REALM SET"));
  }
  std::string sql;
  std::optional<std::string> text;
  std::optional<std::int64_t> number;
  std::string action;
  std::string revoke_sql;  // tokens the change invalidates
  if (pw != nullptr) {
    auto h = crypto::hash_password(pw->password, opts.argon2);
    if (!h) return std::move(h).error();
    sql = "UPDATE realms SET password_phc = ? WHERE id = ?";
    text = std::move(h).value();
    action = "set_password";
    // Every unlock admitted by the old password ends (its tokens would no longer verify
    // anyway: they carry the old password's generation). Temporary grants are untouched.
    revoke_sql = "UPDATE vault_tokens SET revoked = 1 WHERE realm_id = ? AND grant_id IS NULL";
  } else if (const auto* o = std::get_if<ast::AlterRealmSet::Owner>(&st.setting)) {
    auto id = sn->find_user(o->user);
    if (!id) return make_error(sqlstate::kUndefinedObject, "user " + o->user + " does not exist");
    sql = "UPDATE realms SET owner_user_id = ? WHERE id = ?";
    number = *id;
    action = "set_owner";
  } else if (const auto* d = std::get_if<ast::AlterRealmSet::Description>(&st.setting)) {
    sql = "UPDATE realms SET description = ? WHERE id = ?";
    text = d->text;
    action = "set_description";
  } else {
    sql = "UPDATE realms SET state = ? WHERE id = ?";
    number = static_cast<int>(std::get<ast::ObjectState>(st.setting));
    action = "set_state";
  }
  return apply_change(
      "ALTER REALM",
      [&](PolicyStore::Db& db) -> Status {
        DBV_RETURN_IF_ERROR(text ? db.run(sql, *text, r->first) : db.run(sql, *number, r->first));
        return revoke_sql.empty() ? ok_status() : db.run(revoke_sql, r->first);
      },
      realm_event(*this, s, st.realm, action));
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::DropRealm& st) {
  DBV_RETURN_IF_ERROR(require_role(s, kRoleVaultAdmin, "DROP REALM"));
  auto sn = snap();
  auto id = sn->find_realm(st.name);
  if (!id) {
    if (st.if_exists) return tag_only("DROP REALM");
    return make_error(sqlstate::kUndefinedObject, "realm " + st.name + " does not exist");
  }
  return apply_change(
      "DROP REALM",
      [&](PolicyStore::Db& db) { return db.run("DELETE FROM realms WHERE id = ?", *id); },
      realm_event(*this, s, st.name, "drop"));
}

}  // namespace dbvault::vault
