// UNLOCK / LOCK REALM, GRANT / REVOKE VAULT PASSWORD, REVOKE VAULT TOKEN, and the brute-force
// lockout.
#include <spdlog/spdlog.h>

#include <chrono>

#include "vault/vault_impl.h"

namespace dbvault::vault {

namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;

audit::Timestamp to_seconds(std::int64_t us) {
  return audit::Timestamp(duration_cast<std::chrono::seconds>(microseconds(us)));
}

std::string time_text(std::int64_t us) { return audit::format_time(to_seconds(us)); }

Error wrong_secret(std::string_view realm) {
  return make_error(sqlstate::kInvalidPassword,
                    "invalid vault password or token for realm " + std::string(realm));
}

struct Candidate {
  std::string phc;
  std::uint32_t grant_row = 0;  // 0: the realm password
  std::string grant_id;
  std::int64_t expires_us = 0;
};

}  // namespace

Status VaultImpl::check_lockout(const Session& s, rules::RealmId realm, const RealmInfo& info) {
  std::int64_t until = 0;
  if (Status outer_ = store->read([&](PolicyStore::Db& db) -> Status {
        auto st =
            db.prepare("SELECT until FROM unlock_lockouts WHERE user_id = ? AND realm_id = ?");
        if (!st) return std::move(st).error();
        st->bind_all(s.user_id(), realm);
        auto row = st->step();
        if (!row) return std::move(row).error();
        if (*row) until = st->int64(0);
        return ok_status();
      });
      !outer_.ok())
    return std::move(outer_).error();
  if (until <= now_us()) return ok_status();
  audit::Event e = event(audit::EventType::kVaultUnlockFailed, s, info.name);
  e.severity = audit::Severity::kWarning;
  e.result = audit::Outcome::kDenied;
  e.detail["reason"] = "locked_out";
  e.detail["lockout"] = true;
  DBV_RETURN_IF_ERROR(audit(e, false));
  return make_error(
      sqlstate::kInvalidAuthorization,
      "too many failed unlocks of realm " + info.name + "; try again after " + time_text(until));
}

Status VaultImpl::record_failure(const Session& s, rules::RealmId realm, const RealmInfo& info,
                                 std::string_view reason) {
  const std::int64_t now = now_us();
  const std::int64_t window = duration_cast<microseconds>(opts.lockout_window).count();
  const std::int64_t lock_us = duration_cast<microseconds>(opts.lockout_duration).count();
  std::int64_t attempts = 0;
  audit::Event e = event(audit::EventType::kVaultUnlockFailed, s, info.name);
  e.severity = audit::Severity::kWarning;
  e.result = audit::Outcome::kFailure;
  e.detail["reason"] = std::string(reason);
  // The event's attempt count is only known inside the transaction; count first.
  if (Status outer_ = store->read([&](PolicyStore::Db& db) -> Status {
        auto st = db.prepare(
            "SELECT COUNT(*) FROM failed_unlocks WHERE user_id = ? AND realm_id = ? AND at > ?");
        if (!st) return std::move(st).error();
        st->bind_all(s.user_id(), realm, now - window);
        auto row = st->step();
        if (!row) return std::move(row).error();
        attempts = st->int64(0) + 1;
        return ok_status();
      });
      !outer_.ok())
    return std::move(outer_).error();
  const bool lock = attempts >= opts.lockout_failures;
  e.detail["attempts"] = attempts;
  e.detail["lockout"] = lock;
  if (lock) {
    spdlog::warn("vault: user {} locked out of realm {} after {} failed unlocks", s.user_name(),
                 info.name, attempts);
  }
  return record_state(
      [&](PolicyStore::Db& db) -> Status {
        DBV_RETURN_IF_ERROR(
            db.run("INSERT INTO failed_unlocks VALUES (?, ?, ?)", s.user_id(), realm, now));
        if (!lock) return ok_status();
        DBV_RETURN_IF_ERROR(db.run("INSERT OR REPLACE INTO unlock_lockouts VALUES (?, ?, ?)",
                                   s.user_id(), realm, now + lock_us));
        return db.run("DELETE FROM failed_unlocks WHERE user_id = ? AND realm_id = ?", s.user_id(),
                      realm);
      },
      e);
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::UnlockRealm& st) {
  auto sn = snap();
  auto r = realm(*sn, st.realm);
  if (!r) return std::move(r).error();
  const auto [realm_id, info] = *r;
  if (info->has_authorizations && !sn->authorized(s.user_id(), *info, false)) {
    audit::Event e = event(audit::EventType::kVaultUnlockFailed, s, info->name);
    e.result = audit::Outcome::kDenied;
    e.detail["reason"] = "not_authorized";
    DBV_RETURN_IF_ERROR(audit(e, false));
    return make_error(sqlstate::kInsufficientPrivilege,
                      "user " + s.user_name() + " may not unlock realm " + info->name);
  }
  DBV_RETURN_IF_ERROR(check_lockout(s, realm_id, *info));
  const std::int64_t now = now_us();
  const bool by_password = st.by == ast::UnlockRealm::By::kPassword;

  std::optional<Candidate> match;
  std::uint32_t token_row = 0;
  std::string token_id;
  SecretString token;
  if (by_password) {
    std::vector<Candidate> candidates;
    if (Status outer_ = store->read([&](PolicyStore::Db& db) -> Status {
          auto q = db.prepare(
              "SELECT password_phc, 0, '', 0 FROM realms WHERE id = ?1 AND password_phc IS NOT "
              "NULL "
              "UNION ALL SELECT password_phc, id, public_id, expires_at FROM vault_grants "
              "WHERE realm_id = ?1 AND user_id = ?2 AND revoked = 0 AND expires_at > ?3");
          if (!q) return std::move(q).error();
          q->bind_all(realm_id, s.user_id(), now);
          for (;;) {
            auto row = q->step();
            if (!row) return std::move(row).error();
            if (!*row) return ok_status();
            candidates.push_back(
                {q->text(0), static_cast<std::uint32_t>(q->int64(1)), q->text(2), q->int64(3)});
          }
        });
        !outer_.ok())
      return std::move(outer_).error();
    for (const auto& c : candidates) {  // every candidate costs the full KDF
      auto ok = crypto::verify_password(st.secret, c.phc);
      if (!ok) return std::move(ok).error();
      if (*ok && !match) match = c;
    }
    if (candidates.empty()) {  // same cost whether or not anything could match
      auto dummy = crypto::hash_password(st.secret, opts.argon2);
      if (!dummy) return std::move(dummy).error();
    }
    if (!match) {
      DBV_RETURN_IF_ERROR(record_failure(s, realm_id, *info, "wrong_password"));
      return wrong_secret(info->name);
    }
    if (match->grant_row == 0) {
      match->expires_us = now + duration_cast<microseconds>(opts.default_token_lifetime).count();
    }
    auto id = random_id("vt_");
    if (!id) return std::move(id).error();
    token_id = *id;
    auto issued = token_mac.issue(token_id, s.user_name(), info->name, match->expires_us);
    if (!issued) return std::move(issued).error();
    token = std::move(issued).value();
  } else {
    auto parts = parse_token(st.secret.reveal());
    struct Row {
      std::uint32_t id = 0, user = 0, realm = 0;
      std::int64_t expires = 0;
      bool revoked = true;
      std::string grant_id;
    } row;
    if (parts.ok()) {
      if (Status outer_ = store->read([&](PolicyStore::Db& db) -> Status {
            auto q = db.prepare(
                "SELECT t.id, t.user_id, t.realm_id, t.expires_at, t.revoked, "
                "COALESCE(g.public_id, '') FROM vault_tokens t LEFT JOIN vault_grants g "
                "ON g.id = t.grant_id WHERE t.public_id = ?");
            if (!q) return std::move(q).error();
            q->bind_all(parts->token_id);
            auto found = q->step();
            if (!found) return std::move(found).error();
            if (*found) {
              row = {static_cast<std::uint32_t>(q->int64(0)),
                     static_cast<std::uint32_t>(q->int64(1)),
                     static_cast<std::uint32_t>(q->int64(2)),
                     q->int64(3),
                     q->int64(4) != 0,
                     q->text(5)};
            }
            return ok_status();
          });
          !outer_.ok())
        return std::move(outer_).error();
    }
    const bool valid = parts.ok() && row.id != 0 && !row.revoked && row.expires > now &&
                       row.user == s.user_id() && row.realm == realm_id &&
                       token_mac.verify(*parts, s.user_name(), info->name, row.expires);
    if (!valid) {
      DBV_RETURN_IF_ERROR(record_failure(s, realm_id, *info, "invalid_token"));
      return wrong_secret(info->name);
    }
    match = Candidate{{}, 0, row.grant_id, row.expires};
    token_row = row.id;
    token_id = parts->token_id;
    token = st.secret;
  }

  audit::Event e = event(audit::EventType::kVaultUnlock, s, info->name);
  // The id of what admitted the session: the grant's id, or "realm_password".
  e.vault_password_id = match->grant_id.empty() ? "realm_password" : match->grant_id;
  e.expires_at = to_seconds(match->expires_us);
  e.detail["method"] = by_password ? "password" : "token";
  e.detail["token_id"] = token_id;
  if (by_password) {
    if (Status outer_ = record_state(
            [&](PolicyStore::Db& db) -> Status {
              DBV_RETURN_IF_ERROR(db.run(
                  "INSERT INTO vault_tokens (public_id, user_id, realm_id, issued_at, expires_at, "
                  "grant_id) VALUES (?, ?, ?, ?, ?, ?)",
                  token_id, s.user_id(), realm_id, now, match->expires_us,
                  match->grant_row == 0 ? std::optional<std::int64_t>()
                                        : std::optional<std::int64_t>(match->grant_row)));
              token_row = static_cast<std::uint32_t>(db.last_insert_id());
              return db.run("DELETE FROM failed_unlocks WHERE user_id = ? AND realm_id = ?",
                            s.user_id(), realm_id);
            },
            e, /*durable=*/true);
        !outer_.ok())
      return std::move(outer_).error();
  } else {
    DBV_RETURN_IF_ERROR(audit(e, true));
  }
  const std::string token_text(token.reveal());
  s.add_unlock(realm_id, TimePoint(microseconds(match->expires_us)), token_row, token_id,
               std::move(token));
  StatementResult result{"UNLOCK REALM", {"realm", "token", "token_id", "expires_at"}, {}};
  result.rows.push_back({info->name, token_text, token_id, time_text(match->expires_us)});
  return result;
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::LockRealm& st) {
  if (!st.realm) {
    s.clear_unlocks();
    return tag_only("LOCK ALL REALMS");
  }
  auto sn = snap();
  auto r = realm(*sn, *st.realm);
  if (!r) return std::move(r).error();
  s.remove_unlock(r->first);
  return tag_only("LOCK REALM");
}

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
  if (Status outer_ = change(
          [&](PolicyStore::Db& db) -> Status {
            // One live grant per (realm, user): a new grant replaces the old one and its tokens.
            DBV_RETURN_IF_ERROR(
                db.run("UPDATE vault_tokens SET revoked = 1 WHERE grant_id IN (SELECT id FROM "
                       "vault_grants "
                       "WHERE realm_id = ? AND user_id = ? AND revoked = 0)",
                       r->first, *user));
            DBV_RETURN_IF_ERROR(
                db.run("UPDATE vault_grants SET revoked = 1 WHERE realm_id = ? AND user_id = ?",
                       r->first, *user));
            return db.run(
                "INSERT INTO vault_grants (public_id, realm_id, user_id, password_phc, issued_at, "
                "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                *grant_id, r->first, *user, *phc, now, expires);
          },
          e);
      !outer_.ok())
    return std::move(outer_).error();
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
  bool found = false;
  if (Status outer_ = change(
          [&](PolicyStore::Db& db) -> Status {
            DBV_RETURN_IF_ERROR(
                db.run("UPDATE vault_tokens SET revoked = 1 WHERE grant_id IN (SELECT id FROM "
                       "vault_grants "
                       "WHERE realm_id = ? AND user_id = ? AND revoked = 0)",
                       r->first, *user));
            DBV_RETURN_IF_ERROR(
                db.run("UPDATE vault_grants SET revoked = 1 WHERE realm_id = ? AND user_id = ? AND "
                       "revoked = 0",
                       r->first, *user));
            found = db.changes() > 0;
            if (!found) {
              return make_error(sqlstate::kUndefinedObject,
                                "user " + st.user + " has no vault password on realm " + st.realm);
            }
            return ok_status();
          },
          e);
      !outer_.ok())
    return std::move(outer_).error();
  return tag_only("REVOKE VAULT PASSWORD");
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
  if (Status outer_ = change(
          [&](PolicyStore::Db& db) {
            return db.run("UPDATE vault_tokens SET revoked = 1 WHERE public_id = ?", st.token_id);
          },
          e);
      !outer_.ok())
    return std::move(outer_).error();
  return tag_only("REVOKE VAULT TOKEN");
}

}  // namespace dbvault::vault
