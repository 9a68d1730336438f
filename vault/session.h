// Session: what the vault knows about one connection — its user, its connection attributes
// (the factors command rules test) and the realms it has unlocked, each with an expiry and the
// token that admitted it. Effective roles are not copied here: they are read from the current
// PolicySnapshot at each decision, so a revoked role takes effect on the next statement.
//
// Expired unlocks simply count as locked (no sweeper). An unlock also ends when its token is
// revoked (REVOKE VAULT TOKEN, REVOKE VAULT PASSWORD, ALTER REALM ... UNAUTHORIZE, ALTER REALM
// ... SET VAULT PASSWORD: the snapshot knows revoked tokens) and when the user is no longer
// authorized for a realm that lists authorizations — each checked against the snapshot of the
// statement, so taking access away takes effect on every session's next statement.
//
// Thread-safety: a Session belongs to one connection and is used by one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/secret_string.h"
#include "rules/factors.h"
#include "rules/ids.h"
#include "rules/verdict_memo.h"

namespace dbvault::vault {

class PolicySnapshot;

// Connection attributes, as the server (or a host database) saw them.
struct SessionInfo {
  std::string session_id;    // for audit records
  std::string program_name;  // application_name
  std::string client_ip;     // empty on a Unix-domain socket
  std::string auth_method;   // e.g. "scram-sha-256"
  bool tls = false;
};

class Session {
 public:
  Session(std::uint32_t user_id, std::string user_name, SessionInfo info);

  std::uint32_t user_id() const { return user_id_; }
  const std::string& user_name() const { return user_name_; }
  const SessionInfo& info() const { return info_; }

  struct Unlock {
    std::int64_t expires_us = 0;  // 0: not unlocked
    std::uint32_t token_row = 0;  // the token record that admitted it
    std::string token_id;         // its public id
    SecretString token;           // the token itself, for a pooled connection to reuse
  };
  // Records an unlock of `realm` (replacing an earlier one) with its token, kept as a
  // SecretString (wiped when the unlock ends) for the caller to hand to a pooled connection.
  void add_unlock(rules::RealmId realm, TimePoint expires, std::uint32_t token_row,
                  std::string token_id, SecretString token);
  void remove_unlock(rules::RealmId realm);
  // The realms this session holds an unlock entry for (live or expired).
  const std::vector<rules::RealmId>& unlocked_realm_ids() const { return unlocked_; }
  void clear_unlocks();
  // True if the session holds an unexpired, unrevoked unlock of `realm` at `now_us`, and the
  // realm (if it lists authorizations) still authorizes the user or a role of it.
  bool unlocked(rules::RealmId realm, std::int64_t now_us, const PolicySnapshot& snap) const;
  const Unlock* unlock_of(rules::RealmId realm) const {
    return realm < unlocks_.size() && unlocks_[realm].expires_us != 0 ? &unlocks_[realm] : nullptr;
  }

  // The factors for a statement at `now`. The view points into this session (and the
  // snapshot): valid until the session changes or the snapshot is released. Recomputes the
  // unlocked-realm bitset without allocating once it has its size.
  rules::Factors factors(TimePoint now, const PolicySnapshot& snap);

  // The realms this session passes at `now_us` whatever the object: DISABLED realms, realms
  // it holds an unexpired, unrevoked unlock of, realms without REQUIRE VAULT PASSWORD that
  // authorize its user or a role of it, and realms of an active emergency unlock. Cached
  // until the snapshot changes or the earliest expiry among them passes, so that the realm
  // check of an access is a few word-wide AND-NOTs (decision.cpp).
  rules::BitsetView admitted_realms(std::int64_t now_us, const PolicySnapshot& snap);
  // admitted_realms() for one realm, without touching the caches (const: crypto's
  // KeyAuthorizer asks it while the session runs a statement): 0 when the session does not
  // pass `realm` at `now_us`, else when that ends without a policy change — the unlock's or
  // the emergency access's expiry, INT64_MAX for a DISABLED realm or an authorization-only one.
  std::int64_t admitted_until(rules::RealmId realm, std::int64_t now_us,
                              const PolicySnapshot& snap) const;

  // The command-rule verdicts this session has earned (rules/verdict_memo.h), and the
  // generation they belong to: it changes whenever factors() had to recompute anything other
  // than the time — a new snapshot, an unlock gained, lost or expired.
  rules::VerdictMemo& rule_memo() { return rule_memo_; }
  std::uint64_t factors_generation() const { return factors_generation_; }

 private:
  std::uint32_t user_id_;
  std::string user_name_;
  SessionInfo info_;
  rules::ClientAddress address_;
  std::vector<Unlock> unlocks_;           // by realm id
  std::vector<rules::RealmId> unlocked_;  // realms with an entry in unlocks_
  // factors()'s unlocked-realm bitset, reused while nothing it depends on changed: the
  // snapshot (revocations, emergency access), the unlocks, and no unlock expired since.
  struct CacheKey {
    const PolicySnapshot* snapshot = nullptr;
    std::uint64_t version = 0;
    std::int64_t until_us = 0;  // the earliest expiry among what was counted
    bool fresh(const PolicySnapshot& snap, std::int64_t now_us) const;
  };
  std::vector<std::uint64_t> unlocked_now_;
  CacheKey unlocked_key_;
  std::vector<std::uint64_t> admitted_;
  CacheKey admitted_key_;
  rules::VerdictMemo rule_memo_;
  std::uint64_t factors_generation_ = 0;
};

}  // namespace dbvault::vault
