#include "vault/policy_store.h"

#include <algorithm>
#include <array>
#include <string>

namespace dbvault::vault {

namespace {

// Migration n (1-based) brings the schema from version n-1 to n. Append only: never edit a
// migration that has shipped.
constexpr std::array<std::string_view, 5> kMigrations = {
    R"sql(
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO settings VALUES ('vault_enabled', '1'), ('policy_version', '0');
CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  scram_verifier TEXT NOT NULL,
  created_at INTEGER NOT NULL);
CREATE TABLE roles (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  builtin INTEGER NOT NULL DEFAULT 0);
INSERT INTO roles (id, name, builtin) VALUES
  (1, 'vault_admin', 1), (2, 'audit_viewer', 1), (3, 'account_manager', 1), (4, 'dba', 1);
CREATE TABLE user_roles (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role_id INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, role_id));
CREATE TABLE role_roles (
  member_role_id INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  role_id INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  PRIMARY KEY (member_role_id, role_id));
CREATE TABLE objects (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  schema_name TEXT NOT NULL,
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL DEFAULT '',
  owner_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
  UNIQUE (schema_name, table_name, column_name));
CREATE TABLE privileges (
  object_id INTEGER NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
  grantee_kind INTEGER NOT NULL,
  grantee_id INTEGER NOT NULL,
  privileges INTEGER NOT NULL,
  PRIMARY KEY (object_id, grantee_kind, grantee_id));
CREATE TABLE realms (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  owner_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
  mode INTEGER NOT NULL,
  state INTEGER NOT NULL,
  require_password INTEGER NOT NULL,
  password_phc TEXT,
  created_at INTEGER NOT NULL);
CREATE TABLE realm_objects (
  realm_id INTEGER NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
  object_id INTEGER NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
  PRIMARY KEY (realm_id, object_id));
CREATE TABLE realm_authorizations (
  realm_id INTEGER NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
  principal_kind INTEGER NOT NULL,
  principal_id INTEGER NOT NULL,
  as_owner INTEGER NOT NULL,
  PRIMARY KEY (realm_id, principal_kind, principal_id));
CREATE TABLE vault_grants (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  public_id TEXT NOT NULL UNIQUE,
  realm_id INTEGER NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  password_phc TEXT NOT NULL,
  issued_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE vault_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  public_id TEXT NOT NULL UNIQUE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  realm_id INTEGER NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
  issued_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0,
  grant_id INTEGER REFERENCES vault_grants(id) ON DELETE CASCADE);
CREATE TABLE failed_unlocks (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  realm_id INTEGER NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
  at INTEGER NOT NULL);
CREATE INDEX failed_unlocks_by_pair ON failed_unlocks (user_id, realm_id, at);
CREATE TABLE unlock_lockouts (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  realm_id INTEGER NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
  until INTEGER NOT NULL,
  PRIMARY KEY (user_id, realm_id));
CREATE TABLE emergency_requests (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  public_id TEXT NOT NULL UNIQUE,
  realm_id INTEGER NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  authorizer TEXT NOT NULL,
  reason TEXT NOT NULL,
  valid_for_s INTEGER NOT NULL,
  requested_at INTEGER NOT NULL,
  state TEXT NOT NULL,
  decided_by TEXT,
  decided_at INTEGER,
  expires_at INTEGER,
  reviewed_by TEXT,
  reviewed_at INTEGER,
  notes TEXT);
CREATE TABLE command_rules (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  sql TEXT NOT NULL);
CREATE TABLE rule_sets (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  sql TEXT NOT NULL);
)sql",
    // 2: an unlock attempt is reserved (pending = 1) before its secret is checked, and
    // settled afterwards, so that parallel attempts are counted before they run.
    R"sql(
ALTER TABLE failed_unlocks ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
)sql",
    // 3: emergency requests are history: dropping their user or realm must not delete them
    // (migration 1 cascaded), so they keep the names, and the approver named by AUTHORIZED BY
    // is kept by id as well, so that a later account of the same name cannot decide.
    R"sql(
CREATE TABLE emergency_requests_v3 (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  public_id TEXT NOT NULL UNIQUE,
  realm_id INTEGER REFERENCES realms(id) ON DELETE SET NULL,
  realm_name TEXT NOT NULL,
  user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
  requester TEXT NOT NULL,
  authorizer TEXT NOT NULL,
  authorizer_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
  reason TEXT NOT NULL,
  valid_for_s INTEGER NOT NULL,
  requested_at INTEGER NOT NULL,
  state TEXT NOT NULL,
  decided_by TEXT,
  decided_at INTEGER,
  expires_at INTEGER,
  reviewed_by TEXT,
  reviewed_at INTEGER,
  notes TEXT);
INSERT INTO emergency_requests_v3
  SELECT e.id, e.public_id, e.realm_id, r.name, e.user_id, u.name, e.authorizer,
         (SELECT a.id FROM users a WHERE a.name = e.authorizer), e.reason, e.valid_for_s,
         e.requested_at, e.state, e.decided_by, e.decided_at, e.expires_at, e.reviewed_by,
         e.reviewed_at, e.notes
  FROM emergency_requests e JOIN realms r ON r.id = e.realm_id JOIN users u ON u.id = e.user_id;
DROP TABLE emergency_requests;
ALTER TABLE emergency_requests_v3 RENAME TO emergency_requests;
)sql",
    // 4: masking policies (docs/encryption.md, "Masking"). Names are stored folded (SQLite
    // compares them ASCII case-insensitively); role_id NULL masks for every session. DROP ROLE
    // of a role a mask names is refused (2BP01) before the cascade could run.
    R"sql(
CREATE TABLE masking_policies (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  schema_name TEXT NOT NULL,
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  role_id INTEGER REFERENCES roles(id) ON DELETE CASCADE,
  mode INTEGER NOT NULL);
CREATE UNIQUE INDEX masking_policies_key
  ON masking_policies (schema_name, table_name, column_name, COALESCE(role_id, 0));
)sql",
    // 5: a realm's own tablespace (CREATE REALM ... TABLESPACE, docs/encryption.md §9.7): a table
    // registered in `tablespace` (its schema, folded to lower case) joins the realm in the same
    // change. The binding is by name, like realm membership: it outlives a DROP TABLESPACE, so a
    // tablespace created again under the name is the realm's again.
    R"sql(
CREATE TABLE realm_tablespaces (
  realm_id INTEGER NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
  tablespace TEXT NOT NULL UNIQUE);
)sql",
};

template <typename Row, typename Fill>
Status load_rows(PolicyStore::Db& db, std::string_view sql, std::vector<Row>& out, Fill fill,
                 std::int64_t arg = 0) {
  auto st = db.prepare(sql);
  if (!st) return std::move(st).error();
  if (sql.find('?') != std::string_view::npos) st->bind_all(arg);
  for (;;) {
    auto more = st->step();
    if (!more) return std::move(more).error();
    if (!*more) return ok_status();
    Row row;
    fill(*st, row);
    out.push_back(std::move(row));
  }
}

std::uint32_t u32(const sqlite::Statement& st, int c) {
  return static_cast<std::uint32_t>(st.int64(c));
}
ast::PrincipalKind kind(const sqlite::Statement& st, int c) {
  return st.int64(c) == 0 ? ast::PrincipalKind::kUser : ast::PrincipalKind::kRole;
}

Result<std::uint32_t> id_by_name(PolicyStore::Db& db, std::string_view sql, std::string_view name) {
  auto st = db.prepare(sql);
  if (!st) return std::move(st).error();
  st->bind_all(name);
  auto row = st->step();
  if (!row) return std::move(row).error();
  return *row ? u32(*st, 0) : 0U;
}

}  // namespace

int PolicyStore::schema_version() { return static_cast<int>(kMigrations.size()); }

Result<std::unique_ptr<PolicyStore>> PolicyStore::open(const std::filesystem::path& path,
                                                       int up_to) {
  return open(path, nullptr, up_to);
}

Result<std::unique_ptr<PolicyStore>> PolicyStore::open(const std::filesystem::path& path,
                                                       const PolicyConnector& connect, int up_to) {
  auto db = connect ? connect(path) : Db::open(path, {"policy store", true});
  if (!db) return std::move(db).error();
  std::unique_ptr<PolicyStore> store(new PolicyStore(std::move(db).value()));
  const auto last = static_cast<std::size_t>(std::clamp(up_to, 1, schema_version()));
  DBV_RETURN_IF_ERROR(store->migrate(last));
  return store;
}

Status PolicyStore::migrate(std::size_t up_to) {
  std::lock_guard lock(mu_);
  DBV_RETURN_IF_ERROR(
      db_.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
               "applied_at INTEGER NOT NULL DEFAULT (strftime('%s','now')))"));
  std::size_t current = 0;
  {  // finalised before the migrations run: an open statement would lock DROP TABLE
    auto st = db_.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    if (!st) return std::move(st).error();
    auto row = st->step();
    if (!row) return std::move(row).error();
    current = static_cast<std::size_t>(st->int64(0));
  }
  if (current > kMigrations.size()) {
    return make_error(sqlstate::kDataCorrupted, "policy store schema version " +
                                                    std::to_string(current) +
                                                    " is newer than this build supports");
  }
  for (std::size_t v = current; v < up_to; ++v) {
    auto tx = sqlite::Transaction::begin(db_);
    if (!tx) return std::move(tx).error();
    DBV_RETURN_IF_ERROR(db_.exec(kMigrations[v]));
    DBV_RETURN_IF_ERROR(
        db_.run("INSERT INTO schema_migrations (version) VALUES (?)", static_cast<int>(v + 1)));
    DBV_RETURN_IF_ERROR(tx->commit());
  }
  return ok_status();
}

Status PolicyStore::write(const std::function<Status(Db&)>& change) {
  return transaction(change, true);
}

Status PolicyStore::write_state(const std::function<Status(Db&)>& change) {
  return transaction(change, false);
}

Status PolicyStore::transaction(const std::function<Status(Db&)>& change, bool bump_version) {
  std::lock_guard lock(mu_);
  auto tx = sqlite::Transaction::begin(db_);
  if (!tx) return std::move(tx).error();
  DBV_RETURN_IF_ERROR(change(db_));
  if (bump_version) {
    DBV_RETURN_IF_ERROR(db_.run(
        "UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = 'policy_version'"));
    if (version_hook_) {
      auto st =
          db_.prepare("SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'policy_version'");
      if (!st) return std::move(st).error();
      auto row = st->step();
      if (!row) return std::move(row).error();
      DBV_RETURN_IF_ERROR(version_hook_(db_, static_cast<std::uint64_t>(st->int64(0))));
    }
  }
  return tx->commit();
}

void PolicyStore::set_version_hook(VersionHook hook) {
  std::lock_guard lock(mu_);
  version_hook_ = std::move(hook);
}

Status PolicyStore::read(const std::function<Status(Db&)>& query) {
  std::lock_guard lock(mu_);
  return query(db_);
}

Result<PolicyData> PolicyStore::load(TimePoint now) {
  std::lock_guard lock(mu_);
  PolicyData d;
  auto tx = sqlite::Transaction::begin(db_);  // one consistent view
  if (!tx) return std::move(tx).error();
  std::vector<std::pair<std::string, std::string>> settings;
  if (Status outer_ = load_rows(db_, "SELECT key, value FROM settings", settings,
                                [](auto& st, auto& r) {
                                  r = {st.text(0), st.text(1)};
                                });
      !outer_.ok())
    return std::move(outer_).error();
  for (const auto& [k, v] : settings) {
    if (k == "vault_enabled") d.vault_enabled = v == "1";
    if (k == "policy_version") d.version = std::stoull(v);
  }
  if (Status outer_ = load_rows(db_, "SELECT id, name, scram_verifier FROM users", d.users,
                                [](auto& st, UserRow& r) {
                                  r = {u32(st, 0), st.text(1), st.text(2)};
                                });
      !outer_.ok())
    return std::move(outer_).error();
  if (Status outer_ = load_rows(db_, "SELECT id, name, builtin FROM roles", d.roles,
                                [](auto& st, RoleRow& r) {
                                  r = {u32(st, 0), st.text(1), st.int64(2) != 0};
                                });
      !outer_.ok())
    return std::move(outer_).error();
  if (Status outer_ = load_rows(db_,
                                "SELECT role_id, 0, user_id FROM user_roles UNION ALL "
                                "SELECT role_id, 1, member_role_id FROM role_roles",
                                d.memberships,
                                [](auto& st, MembershipRow& r) {
                                  r = {u32(st, 0), kind(st, 1), u32(st, 2)};
                                });
      !outer_.ok())
    return std::move(outer_).error();
  if (Status outer_ = load_rows(db_,
                                "SELECT id, schema_name, table_name, column_name, "
                                "COALESCE(owner_user_id, 0) FROM objects",
                                d.objects,
                                [](auto& st, ObjectRow& r) {
                                  r = {u32(st, 0), st.text(1), st.text(2), st.text(3), u32(st, 4)};
                                });
      !outer_.ok())
    return std::move(outer_).error();
  if (Status outer_ =
          load_rows(db_, "SELECT object_id, grantee_kind, grantee_id, privileges FROM privileges",
                    d.privileges,
                    [](auto& st, PrivilegeRow& r) {
                      r = {u32(st, 0), kind(st, 1), u32(st, 2), u32(st, 3)};
                    });
      !outer_.ok())
    return std::move(outer_).error();
  if (Status outer_ = load_rows(db_,
                                "SELECT id, name, description, COALESCE(owner_user_id, 0), mode, "
                                "state, require_password, "
                                "password_phc IS NOT NULL FROM realms",
                                d.realms,
                                [](auto& st, RealmRow& r) {
                                  r.id = u32(st, 0);
                                  r.name = st.text(1);
                                  r.description = st.text(2);
                                  r.owner_user = u32(st, 3);
                                  r.mode = static_cast<ast::RealmMode>(st.int64(4));
                                  r.state = static_cast<ast::ObjectState>(st.int64(5));
                                  r.require_password = st.int64(6) != 0;
                                  r.has_password = st.int64(7) != 0;
                                });
      !outer_.ok())
    return std::move(outer_).error();
  if (Status outer_ =
          load_rows(db_, "SELECT realm_id, object_id FROM realm_objects", d.realm_objects,
                    [](auto& st, RealmObjectRow& r) {
                      r = {u32(st, 0), u32(st, 1)};
                    });
      !outer_.ok())
    return std::move(outer_).error();
  if (Status outer_ = load_rows(
          db_, "SELECT realm_id, principal_kind, principal_id, as_owner FROM realm_authorizations",
          d.authorizations,
          [](auto& st, AuthorizationRow& r) {
            r = {u32(st, 0), kind(st, 1), u32(st, 2), st.int64(3) != 0};
          });
      !outer_.ok())
    return std::move(outer_).error();
  if (Status outer_ = load_rows(db_, "SELECT realm_id, tablespace FROM realm_tablespaces",
                                d.realm_tablespaces,
                                [](auto& st, RealmTablespaceRow& r) {
                                  r = {u32(st, 0), st.text(1)};
                                });
      !outer_.ok())
    return std::move(outer_).error();
  if (Status outer_ =
          load_rows(db_, "SELECT id FROM vault_tokens WHERE revoked != 0", d.revoked_tokens,
                    [](auto& st, std::uint32_t& r) { r = u32(st, 0); });
      !outer_.ok())
    return std::move(outer_).error();
  const std::int64_t now_us = now.time_since_epoch().count();
  if (Status outer_ = load_rows(
          db_,
          "SELECT realm_id, user_id, expires_at FROM emergency_requests "
          "WHERE state = 'approved' AND expires_at > ? AND user_id IS NOT NULL "
          "AND realm_id IS NOT NULL",
          d.emergency_access,
          [](auto& st, EmergencyAccessRow& r) {
            r = {u32(st, 0), u32(st, 1), st.int64(2)};
          },
          now_us);
      !outer_.ok())
    return std::move(outer_).error();
  if (Status outer_ =
          load_rows(db_,
                    "SELECT realm_id, user_id FROM emergency_requests WHERE state = 'pending' "
                    "AND user_id IS NOT NULL AND realm_id IS NOT NULL",
                    d.emergency_pending,
                    [](auto& st, EmergencyPendingRow& r) {
                      r = {u32(st, 0), u32(st, 1)};
                    });
      !outer_.ok())
    return std::move(outer_).error();
  if (Status outer_ =
          load_rows(db_, "SELECT id, name, sql FROM command_rules ORDER BY id", d.command_rules,
                    [](auto& st, RuleRow& r) {
                      r = {u32(st, 0), st.text(1), st.text(2)};
                    });
      !outer_.ok())
    return std::move(outer_).error();
  if (Status outer_ = load_rows(db_, "SELECT id, name, sql FROM rule_sets ORDER BY id", d.rule_sets,
                                [](auto& st, RuleRow& r) {
                                  r = {u32(st, 0), st.text(1), st.text(2)};
                                });
      !outer_.ok())
    return std::move(outer_).error();
  if (Status outer_ = load_rows(db_,
                                "SELECT id, schema_name, table_name, column_name, mode, "
                                "COALESCE(role_id, 0) FROM masking_policies ORDER BY id",
                                d.maskings,
                                [](auto& st, MaskingRow& r) {
                                  r = {u32(st, 0),
                                       st.text(1),
                                       st.text(2),
                                       st.text(3),
                                       static_cast<ast::MaskingMode>(st.int64(4)),
                                       u32(st, 5)};
                                });
      !outer_.ok())
    return std::move(outer_).error();
  return d;
}

namespace store {

Result<std::uint32_t> user_id(PolicyStore::Db& db, std::string_view name) {
  return id_by_name(db, "SELECT id FROM users WHERE name = ?", name);
}
Result<std::uint32_t> role_id(PolicyStore::Db& db, std::string_view name) {
  return id_by_name(db, "SELECT id FROM roles WHERE name = ?", name);
}
Result<std::uint32_t> realm_id(PolicyStore::Db& db, std::string_view name) {
  return id_by_name(db, "SELECT id FROM realms WHERE name = ?", name);
}

Result<std::uint32_t> ensure_object(PolicyStore::Db& db, std::string_view schema,
                                    std::string_view table, std::string_view column) {
  if (!column.empty()) {
    auto t = ensure_object(db, schema, table, "");
    if (!t) return t;
  }
  DBV_RETURN_IF_ERROR(db.run(
      "INSERT OR IGNORE INTO objects (schema_name, table_name, column_name) VALUES (?, ?, ?)",
      schema, table, column));
  auto st = db.prepare(
      "SELECT id FROM objects WHERE schema_name = ? AND table_name = ? AND column_name = ?");
  if (!st) return std::move(st).error();
  st->bind_all(schema, table, column);
  auto row = st->step();
  if (!row) return std::move(row).error();
  return u32(*st, 0);
}

std::string schema_of(const ast::ObjectName& name) {
  return name.schema.empty() ? std::string("main") : name.schema;
}

}  // namespace store

}  // namespace dbvault::vault
