// UNLOCK / LOCK REALM and the brute-force lockout.
#include <spdlog/spdlog.h>

#include <chrono>

#include "vault/key_authorizer.h"
#include "vault/vault_impl.h"

namespace dbvault::vault {

namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
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

// The attempt is reserved in the same transaction that checks the lockout and counts the
// pair's failures (the store serialises its transactions), so N parallel attempts cannot all
// pass the check before any of them is counted: at most lockout_failures secrets are checked
// per window. A reservation counts as a failure until it is settled, so an attempt whose
// outcome was never recorded (a crash during the KDF) still counts.
//
// Only password attempts reserve (`reserve`): a token attempt runs no KDF and its 256-bit MAC
// cannot be guessed, so a pool of connections unlocking with one token at once must not count
// against the limit; it is still refused while the pair is locked out or at the limit.
Status VaultImpl::check_lockout(const Session& s, rules::RealmId realm, const RealmInfo& info,
                                bool reserve) {
  const std::int64_t now = now_us();
  const std::int64_t window = duration_cast<microseconds>(opts.lockout_window).count();
  std::int64_t until = 0;
  bool full = false;
  Status reserved = store->write_state([&](PolicyStore::Db& db) -> Status {
    auto lockout =
        db.prepare("SELECT until FROM unlock_lockouts WHERE user_id = ? AND realm_id = ?");
    if (!lockout) return std::move(lockout).error();
    lockout->bind_all(s.user_id(), realm);
    auto row = lockout->step();
    if (!row) return std::move(row).error();
    if (*row) until = lockout->int64(0);
    if (until > now) return ok_status();
    auto attempts = db.prepare(
        "SELECT COUNT(*) FROM failed_unlocks WHERE user_id = ? AND realm_id = ? AND at > ?");
    if (!attempts) return std::move(attempts).error();
    attempts->bind_all(s.user_id(), realm, now - window);
    auto counted = attempts->step();
    if (!counted) return std::move(counted).error();
    full = attempts->int64(0) >= opts.lockout_failures;
    if (full || !reserve) return ok_status();
    return db.run("INSERT INTO failed_unlocks (user_id, realm_id, at, pending) VALUES (?, ?, ?, 1)",
                  s.user_id(), realm, now);
  });
  if (!reserved.ok()) return std::move(reserved).error();
  if (until <= now && !full) return ok_status();
  audit::Event e = event(audit::EventType::kVaultUnlockFailed, s, info.name);
  e.severity = audit::Severity::kWarning;
  e.result = audit::Outcome::kDenied;
  e.detail["reason"] = "locked_out";  // not "lockout": only the locking failure is alerted
  DBV_RETURN_IF_ERROR(audit(e, false));
  return make_error(sqlstate::kInvalidAuthorization,
                    "too many failed unlocks of realm " + info.name + "; try again " +
                        (until > now ? "after " + time_text(until) : std::string("later")));
}

// Settles one of the pair's reservations as a failure (any one: they are alike). When a
// success released them all meanwhile, the failure is recorded afresh.
Status VaultImpl::record_failure(const Session& s, rules::RealmId realm, const RealmInfo& info,
                                 std::string_view reason) {
  const std::int64_t now = now_us();
  const std::int64_t window = duration_cast<microseconds>(opts.lockout_window).count();
  const std::int64_t lock_us = duration_cast<microseconds>(opts.lockout_duration).count();
  bool lock = false;
  std::int64_t attempts = 0;
  audit::Event e = event(audit::EventType::kVaultUnlockFailed, s, info.name);
  e.severity = audit::Severity::kWarning;
  e.result = audit::Outcome::kFailure;
  e.detail["reason"] = std::string(reason);
  // record_state() records `e` after the callback: the callback completes it.
  Status settled = record_state(
      [&](PolicyStore::Db& db) -> Status {
        DBV_RETURN_IF_ERROR(db.run(
            "UPDATE failed_unlocks SET pending = 0, at = ?1 WHERE rowid = (SELECT rowid FROM "
            "failed_unlocks WHERE user_id = ?2 AND realm_id = ?3 AND pending = 1 LIMIT 1)",
            now, s.user_id(), realm));
        if (db.changes() == 0) {
          DBV_RETURN_IF_ERROR(db.run(
              "INSERT INTO failed_unlocks (user_id, realm_id, at, pending) VALUES (?, ?, ?, 0)",
              s.user_id(), realm, now));
        }
        auto st = db.prepare(
            "SELECT COUNT(*) FROM failed_unlocks WHERE user_id = ? AND realm_id = ? AND "
            "pending = 0 AND at > ?");
        if (!st) return std::move(st).error();
        st->bind_all(s.user_id(), realm, now - window);
        auto row = st->step();
        if (!row) return std::move(row).error();
        attempts = st->int64(0);
        lock = attempts >= opts.lockout_failures;
        e.detail["attempts"] = attempts;
        e.detail["lockout"] = lock;
        if (!lock) return ok_status();
        DBV_RETURN_IF_ERROR(db.run("INSERT OR REPLACE INTO unlock_lockouts VALUES (?, ?, ?)",
                                   s.user_id(), realm, now + lock_us));
        return db.run(
            "DELETE FROM failed_unlocks WHERE user_id = ? AND realm_id = ? AND pending = 0",
            s.user_id(), realm);
      },
      e);
  if (!settled.ok()) return std::move(settled).error();
  if (lock) {
    spdlog::warn("vault: user {} locked out of realm {} after {} failed unlocks", s.user_name(),
                 info.name, attempts);
  }
  return ok_status();
}

namespace {

// Releases one of the pair's reservations after a success; `clear_failures` (the realm
// password itself matched) also forgets the pair's earlier failures. A token or a temporary
// grant clears nothing, or its holder could reset the count between guesses at the realm
// password.
Status release_attempt(PolicyStore::Db& db, const Session& s, rules::RealmId realm,
                       bool clear_failures) {
  DBV_RETURN_IF_ERROR(
      db.run("DELETE FROM failed_unlocks WHERE rowid = (SELECT rowid FROM failed_unlocks WHERE "
             "user_id = ? AND realm_id = ? AND pending = 1 LIMIT 1)",
             s.user_id(), realm));
  if (!clear_failures) return ok_status();
  return db.run("DELETE FROM failed_unlocks WHERE user_id = ? AND realm_id = ? AND pending = 0",
                s.user_id(), realm);
}

}  // namespace

namespace {

// What admitted an unlock, and the token that records it.
struct Admission {
  std::string grant_id;         // empty: the realm password
  std::uint32_t grant_row = 0;  // 0: the realm password
  std::int64_t expires_us = 0;
  std::uint32_t token_row = 0;  // set once the token record exists
  std::string token_id;
  SecretString token;
};

// The two secrets an UNLOCK ... PASSWORD is checked against, either absent: the realm
// password, and the caller's live temporary grant on the realm (GRANT keeps at most one live
// grant per user and realm; should the store hold more, the newest counts).
struct Candidates {
  std::optional<Candidate> realm_password;
  std::optional<Candidate> grant;
};

Result<Candidates> password_candidates(PolicyStore& store, const Session& s, rules::RealmId realm,
                                       std::int64_t now) {
  Candidates out;
  auto st = store.read([&](PolicyStore::Db& db) -> Status {
    auto q = db.prepare(
        "SELECT password_phc, 0, '', 0 FROM realms WHERE id = ?1 AND password_phc IS NOT NULL "
        "UNION ALL SELECT * FROM (SELECT password_phc, id, public_id, expires_at FROM "
        "vault_grants WHERE realm_id = ?1 AND user_id = ?2 AND revoked = 0 AND expires_at > ?3 "
        "ORDER BY issued_at DESC, id DESC LIMIT 1)");
    if (!q) return std::move(q).error();
    q->bind_all(realm, s.user_id(), now);
    for (;;) {
      auto row = q->step();
      if (!row) return std::move(row).error();
      if (!*row) return ok_status();
      Candidate c{q->text(0), static_cast<std::uint32_t>(q->int64(1)), q->text(2), q->int64(3)};
      (c.grant_row == 0 ? out.realm_password : out.grant) = std::move(c);
    }
  });
  if (!st.ok()) return std::move(st).error();
  return out;
}

struct TokenRecord {
  std::uint32_t id = 0, user = 0, realm = 0;
  std::int64_t expires = 0;
  bool revoked = true;  // the token's or its grant's revocation
  std::string grant_id;
  std::string generation;  // what the MAC must have been issued for now (credentials.h)
};

// The token's record, its grant's state, and the password generation it must carry: the
// grant's id, or the realm's current password (empty when the realm has none, so no
// realm-password token verifies).
Result<TokenRecord> token_record(PolicyStore& store, std::string_view token_id) {
  TokenRecord r;
  auto st = store.read([&](PolicyStore::Db& db) -> Status {
    auto q = db.prepare(
        "SELECT t.id, t.user_id, t.realm_id, t.expires_at, "
        "t.revoked != 0 OR COALESCE(g.revoked, 0) != 0, COALESCE(g.public_id, ''), "
        "CASE WHEN t.grant_id IS NULL THEN COALESCE(r.password_phc, '') ELSE g.public_id END "
        "FROM vault_tokens t JOIN realms r ON r.id = t.realm_id "
        "LEFT JOIN vault_grants g ON g.id = t.grant_id WHERE t.public_id = ?");
    if (!q) return std::move(q).error();
    q->bind_all(token_id);
    auto found = q->step();
    if (!found) return std::move(found).error();
    if (*found) {
      r = {static_cast<std::uint32_t>(q->int64(0)),
           static_cast<std::uint32_t>(q->int64(1)),
           static_cast<std::uint32_t>(q->int64(2)),
           q->int64(3),
           q->int64(4) != 0,
           q->text(5),
           q->text(6)};
    }
    return ok_status();
  });
  if (!st.ok()) return std::move(st).error();
  return r;
}

// UNLOCK ... PASSWORD: always exactly two KDF runs — the realm password and the caller's
// live grant, each replaced by the dummy hash when absent — so that the time an unlock takes
// does not tell whether the realm has a password or the user holds a grant. On a mismatch the
// failure is recorded and 28P01 returned. On success a token is minted (not yet stored).
Result<Admission> admit_by_password(VaultImpl& v, const Session& s, rules::RealmId realm,
                                    const RealmInfo& info, const SecretString& password,
                                    std::int64_t now) {
  auto candidates = password_candidates(*v.store, s, realm, now);
  if (!candidates) return std::move(candidates).error();
  auto dummy = v.dummy_phc();
  if (!dummy) return std::move(dummy).error();
  std::optional<Candidate> match;
  for (const auto* slot : {&candidates->realm_password, &candidates->grant}) {
    auto ok = crypto::verify_password(password, *slot ? (*slot)->phc : **dummy);
    if (!ok) return std::move(ok).error();
    if (*ok && *slot && !match) match = **slot;
  }
  if (!match) {
    DBV_RETURN_IF_ERROR(v.record_failure(s, realm, info, "wrong_password"));
    return wrong_secret(info.name);
  }
  Admission a;
  a.grant_id = match->grant_id;
  a.grant_row = match->grant_row;
  a.expires_us = match->grant_row != 0
                     ? match->expires_us
                     : now + duration_cast<microseconds>(v.opts.default_token_lifetime).count();
  auto id = random_id("vt_");
  if (!id) return std::move(id).error();
  a.token_id = std::move(id).value();
  // The generation: a realm-password token dies with that password (SET VAULT PASSWORD), a
  // grant's token with the grant.
  const std::string_view generation = match->grant_row != 0 ? match->grant_id : match->phc;
  auto token = v.token_mac.issue(a.token_id, {s.user_name(), info.name, a.expires_us, generation});
  if (!token) return std::move(token).error();
  a.token = std::move(token).value();
  return a;
}

// UNLOCK ... TOKEN: the token's record must exist and belong to this user and realm, be
// unrevoked and unexpired (and so must its grant), and its MAC must verify for the realm's
// current password generation; else the failure is recorded, 28P01.
Result<Admission> admit_by_token(VaultImpl& v, const Session& s, rules::RealmId realm,
                                 const RealmInfo& info, const SecretString& token,
                                 std::int64_t now) {
  auto parts = parse_token(token.reveal());
  TokenRecord row;
  if (parts.ok()) {
    auto found = token_record(*v.store, parts->token_id);
    if (!found) return std::move(found).error();
    row = std::move(found).value();
  }
  const bool valid =
      parts.ok() && row.id != 0 && !row.revoked && row.expires > now && row.user == s.user_id() &&
      row.realm == realm && !row.generation.empty() &&
      v.token_mac.verify(*parts, {s.user_name(), info.name, row.expires, row.generation});
  if (!valid) {
    DBV_RETURN_IF_ERROR(v.record_failure(s, realm, info, "invalid_token"));
    return wrong_secret(info.name);
  }
  Admission a;
  a.grant_id = row.grant_id;
  a.expires_us = row.expires;
  a.token_row = row.id;
  a.token_id = parts->token_id;
  a.token = token.clone();  // the session keeps its own copy, wiped when the unlock ends
  return a;
}

}  // namespace

Result<const std::string*> VaultImpl::dummy_phc() {
  std::lock_guard lock(dummy_mu_);  // held only while it is made; a failure is retried
  if (dummy_phc_.empty()) {
    auto pw = random_password();
    if (!pw) return std::move(pw).error();
    auto phc = crypto::hash_password(*pw, opts.argon2);
    if (!phc) return std::move(phc).error();
    dummy_phc_ = std::move(phc).value();
  }
  return &dummy_phc_;
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::UnlockRealm& st) {
  auto sn = snap();
  auto r = realm(*sn, st.realm);
  if (!r) return std::move(r).error();
  const auto [realm_id, info] = *r;
  // A session of a login the vault does not know (a PostgreSQL role the module hosts without
  // a vault account) has nobody a token could be issued to.
  const auto known = sn->find_user(s.user_name());
  if (!known || *known != s.user_id()) {
    audit::Event e = event(audit::EventType::kVaultUnlockFailed, s, info->name);
    e.result = audit::Outcome::kDenied;
    e.detail["reason"] = "not_a_vault_user";
    DBV_RETURN_IF_ERROR(audit(e, true));
    return make_error(sqlstate::kInsufficientPrivilege,
                      "user " + s.user_name() + " is not a vault user and may not unlock realm " +
                          info->name);
  }
  if (info->has_authorizations && !sn->authorized(s.user_id(), *info, false)) {
    audit::Event e = event(audit::EventType::kVaultUnlockFailed, s, info->name);
    e.result = audit::Outcome::kDenied;
    e.detail["reason"] = "not_authorized";
    DBV_RETURN_IF_ERROR(audit(e, true));
    return make_error(sqlstate::kInsufficientPrivilege,
                      "user " + s.user_name() + " may not unlock realm " + info->name);
  }
  const bool by_password = st.by == ast::UnlockRealm::By::kPassword;
  DBV_RETURN_IF_ERROR(check_lockout(s, realm_id, *info, by_password));
  const std::int64_t now = now_us();
  auto admitted = by_password ? admit_by_password(*this, s, realm_id, *info, st.secret, now)
                              : admit_by_token(*this, s, realm_id, *info, st.secret, now);
  if (!admitted) return std::move(admitted).error();
  Admission& a = *admitted;

  audit::Event e = event(audit::EventType::kVaultUnlock, s, info->name);
  // The id of what admitted the session: the grant's id, or "realm_password".
  e.vault_password_id = a.grant_id.empty() ? "realm_password" : a.grant_id;
  e.expires_at = to_seconds(a.expires_us);
  e.detail["method"] = by_password ? "password" : "token";
  e.detail["token_id"] = a.token_id;
  if (by_password) {  // the token record and the audit event, in one transaction
    auto stored = record_state(
        [&](PolicyStore::Db& db) -> Status {
          DBV_RETURN_IF_ERROR(db.run(
              "INSERT INTO vault_tokens (public_id, user_id, realm_id, issued_at, expires_at, "
              "grant_id) VALUES (?, ?, ?, ?, ?, ?)",
              a.token_id, s.user_id(), realm_id, now, a.expires_us,
              a.grant_row == 0 ? std::optional<std::int64_t>()
                               : std::optional<std::int64_t>(a.grant_row)));
          a.token_row = static_cast<std::uint32_t>(db.last_insert_id());
          return release_attempt(db, s, realm_id, a.grant_row == 0);
        },
        e);
    if (!stored.ok()) return std::move(stored).error();
  } else {
    // A token attempt reserved nothing (check_lockout), so it releases nothing.
    DBV_RETURN_IF_ERROR(record_state([](PolicyStore::Db&) { return ok_status(); }, e, true));
  }
  StatementResult result{"UNLOCK REALM", {"realm", "token", "token_id", "expires_at"}, {}};
  result.rows.push_back(
      {info->name, std::string(a.token.reveal()), a.token_id, time_text(a.expires_us)});
  s.add_unlock(realm_id, TimePoint(microseconds(a.expires_us)), a.token_row, a.token_id,
               std::move(a.token));
  return result;
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::LockRealm& st) {
  KeyListener* keys = key_listener.load();
  if (!st.realm) {
    const std::vector<rules::RealmId> ended = s.unlocked_realm_ids();
    s.clear_unlocks();
    if (keys != nullptr) keys->unlocks_ended(s, ended);
    return tag_only("LOCK ALL REALMS");
  }
  auto sn = snap();
  auto r = realm(*sn, *st.realm);
  if (!r) return std::move(r).error();
  s.remove_unlock(r->first);
  if (keys != nullptr) keys->unlocks_ended(s, std::span(&r->first, 1));
  return tag_only("LOCK REALM");
}

}  // namespace dbvault::vault
