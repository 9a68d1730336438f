// GRANT / REVOKE VAULT PASSWORD (temporary grants) and REVOKE VAULT TOKEN.
#include <chrono>

#include "vault/vault_impl.h"

namespace dbvault::vault {

namespace {
using std::chrono::duration_cast;
using std::chrono::microseconds;

// Ends a user's live temporary grants on a realm and every token issued from them; returns
// how many grants it ended. Shared by REVOKE and by GRANT, which replaces the previous grant.
Result<int> end_live_grants(PolicyStore::Db& db, std::int64_t realm_id, std::int64_t user_id) {
  DBV_RETURN_IF_ERROR(
      db.run("UPDATE vault_tokens SET revoked = 1 WHERE grant_id IN (SELECT id FROM vault_grants "
             "WHERE realm_id = ? AND user_id = ? AND revoked = 0)",
             realm_id, user_id));
  DBV_RETURN_IF_ERROR(db.run(
      "UPDATE vault_grants SET revoked = 1 WHERE realm_id = ? AND user_id = ? AND revoked = 0",
      realm_id, user_id));
  return db.changes();
}
}  // namespace

Result<StatementResult> VaultImpl::run(Session& s, const ast::GrantVaultPassword& st) {
  auto sn = snap();
  auto r = realm(*sn, st.realm);
  if (!r) return std::move(r).error();
  DBV_RETURN_IF_ERROR(require_owner_or_admin(s, *r->second, "GRANT VAULT PASSWORD"));
  auto user = sn->find_user(st.user);
  if (!user) return make_error(sqlstate::kUndefinedObject, "user " + st.user + " does not exist");
  auto password = random_password();
  if (!password) return std::move(password).error();
  auto phc = crypto::hash_password(*password, opts.argon2);
  if (!phc) return std::move(phc).error();
  auto grant_id = random_id("vp_");
  if (!grant_id) return std::move(grant_id).error();
  const std::int64_t now = now_us();
  const std::int64_t expires = now + duration_cast<microseconds>(st.valid_for).count();
  audit::Event e = event(audit::EventType::kPolicyChanged, s, st.realm);
  e.detail["statement"] = "GRANT VAULT PASSWORD";
  e.detail["object"] = st.user;
  e.vault_password_id = *grant_id;
  e.expires_at = to_seconds(expires);
  const auto grant = [&](PolicyStore::Db& db) -> Status {
    // One live grant per (realm, user): a new grant replaces the old one and its tokens.
    auto ended = end_live_grants(db, r->first, *user);
    if (!ended) return std::move(ended).error();
    return db.run(
        "INSERT INTO vault_grants (public_id, realm_id, user_id, password_phc, issued_at, "
        "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        *grant_id, r->first, *user, *phc, now, expires);
  };
  DBV_RETURN_IF_ERROR(change(grant, e));
  StatementResult result{
      "GRANT VAULT PASSWORD", {"realm", "user", "password", "password_id", "expires_at"}, {}};
  result.rows.push_back(
      {st.realm, st.user, std::string(password->reveal()), *grant_id, time_text(expires)});
  return result;
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::RevokeVaultPassword& st) {
  auto sn = snap();
  auto r = realm(*sn, st.realm);
  if (!r) return std::move(r).error();
  DBV_RETURN_IF_ERROR(require_owner_or_admin(s, *r->second, "REVOKE VAULT PASSWORD"));
  auto user = sn->find_user(st.user);
  if (!user) return make_error(sqlstate::kUndefinedObject, "user " + st.user + " does not exist");
  audit::Event e = event(audit::EventType::kPolicyChanged, s, st.realm);
  e.detail["statement"] = "REVOKE VAULT PASSWORD";
  e.detail["object"] = st.user;
  return apply_change(
      "REVOKE VAULT PASSWORD",
      [&](PolicyStore::Db& db) -> Status {
        auto ended = end_live_grants(db, r->first, *user);
        if (!ended) return std::move(ended).error();
        if (*ended == 0) {
          return make_error(sqlstate::kUndefinedObject,
                            "user " + st.user + " has no vault password on realm " + st.realm);
        }
        return ok_status();
      },
      e);
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::RevokeVaultToken& st) {
  auto sn = snap();
  std::uint32_t owner = 0;
  std::string realm_name;
  if (Status outer_ = store->read([&](PolicyStore::Db& db) -> Status {
        auto q = db.prepare(
            "SELECT t.user_id, r.name FROM vault_tokens t JOIN realms r ON r.id = t.realm_id "
            "WHERE t.public_id = ?");
        if (!q) return std::move(q).error();
        q->bind_all(st.token_id);
        auto row = q->step();
        if (!row) return std::move(row).error();
        if (*row) {
          owner = static_cast<std::uint32_t>(q->int64(0));
          realm_name = q->text(1);
        }
        return ok_status();
      });
      !outer_.ok())
    return std::move(outer_).error();
  if (owner == 0) {
    return make_error(sqlstate::kUndefinedObject, "vault token " + st.token_id + " does not exist");
  }
  if (owner != s.user_id()) {
    DBV_RETURN_IF_ERROR(require_role(s, kRoleVaultAdmin, "REVOKE VAULT TOKEN"));
  }
  audit::Event e = event(audit::EventType::kPolicyChanged, s, realm_name);
  e.detail["statement"] = "REVOKE VAULT TOKEN";
  e.detail["token_id"] = st.token_id;
  return apply_change(
      "REVOKE VAULT TOKEN",
      [&](PolicyStore::Db& db) {
        return db.run("UPDATE vault_tokens SET revoked = 1 WHERE public_id = ?", st.token_id);
      },
      e);
}

}  // namespace dbvault::vault
