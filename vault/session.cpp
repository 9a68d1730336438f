#include "vault/session.h"

#include <algorithm>
#include <limits>

#include "vault/policy_snapshot.h"

namespace dbvault::vault {

Session::Session(std::uint32_t user_id, std::string user_name, SessionInfo info)
    : user_id_(user_id),
      user_name_(std::move(user_name)),
      info_(std::move(info)),
      address_(rules::parse_client_address(info_.client_ip)) {}

void Session::add_unlock(rules::RealmId realm, TimePoint expires, std::uint32_t token_row,
                         std::string token_id, SecretString token) {
  unlocked_key_ = admitted_key_ = CacheKey{};
  if (realm >= unlocks_.size()) unlocks_.resize(realm + 1);
  if (unlocks_[realm].expires_us == 0) unlocked_.push_back(realm);
  unlocks_[realm] =
      Unlock{expires.time_since_epoch().count(), token_row, std::move(token_id), std::move(token)};
}

void Session::remove_unlock(rules::RealmId realm) {
  unlocked_key_ = admitted_key_ = CacheKey{};
  if (realm >= unlocks_.size()) return;
  unlocks_[realm] = Unlock{};
  unlocked_.erase(std::remove(unlocked_.begin(), unlocked_.end(), realm), unlocked_.end());
}

void Session::clear_unlocks() {
  unlocked_key_ = admitted_key_ = CacheKey{};
  unlocks_.clear();
  unlocked_.clear();
}

bool Session::unlocked(rules::RealmId realm, std::int64_t now_us,
                       const PolicySnapshot& snap) const {
  if (realm >= unlocks_.size()) return false;
  const Unlock& u = unlocks_[realm];
  if (u.expires_us <= now_us || snap.token_revoked(u.token_row)) return false;
  // The authorization that let it unlock must still hold: UNAUTHORIZE, a revoked role or a
  // dropped realm end the unlock on the next statement, like a revoked token.
  const RealmInfo* info = snap.realm(realm);
  return info != nullptr && (!info->has_authorizations || snap.authorized(user_id_, *info, false));
}

rules::Factors Session::factors(TimePoint now, const PolicySnapshot& snap) {
  const std::int64_t now_us = now.time_since_epoch().count();
  if (!unlocked_key_.fresh(snap, now_us)) {
    ++factors_generation_;
    std::fill(unlocked_now_.begin(), unlocked_now_.end(), 0);
    unlocked_key_ = {&snap, snap.version(), std::numeric_limits<std::int64_t>::max()};
    for (rules::RealmId r : unlocked_) {
      const bool by_unlock = unlocked(r, now_us, snap);
      if (!by_unlock && !snap.emergency_active(user_id_, r, now_us)) continue;
      if (r / 64 >= unlocked_now_.size()) unlocked_now_.resize(r / 64 + 1, 0);
      unlocked_now_[r / 64] |= std::uint64_t{1} << (r % 64);
      // An emergency unlock ends at its own time: recompute every call while one is in use.
      unlocked_key_.until_us =
          std::min(unlocked_key_.until_us, by_unlock ? unlocks_[r].expires_us : now_us);
    }
  }
  rules::Factors f;
  f.current_user = user_name_;
  f.session_user = user_name_;
  f.program_name = info_.program_name;
  f.client_ip = info_.client_ip;
  f.auth_method = info_.auth_method;
  f.tls = info_.tls;
  f.now = now;
  f.current_user_id = user_id_;
  f.session_user_id = user_id_;
  f.roles = snap.roles_of(user_id_);
  f.unlocked_realms = rules::BitsetView(unlocked_now_);
  f.client_address = address_;
  return f;
}

bool Session::CacheKey::fresh(const PolicySnapshot& snap, std::int64_t now_us) const {
  return snapshot == &snap && version == snap.version() && now_us < until_us;
}

std::int64_t Session::admitted_until(rules::RealmId r, std::int64_t now_us,
                                     const PolicySnapshot& snap) const {
  const RealmInfo* realm = snap.realm(r);
  if (realm == nullptr) return 0;
  if (realm->state == ast::ObjectState::kDisabled ||
      (!realm->require_password && snap.authorized(user_id_, *realm, false))) {
    return std::numeric_limits<std::int64_t>::max();
  }
  if (unlocked(r, now_us, snap)) return unlocks_[r].expires_us;
  std::int64_t until = 0;  // the latest approved emergency access still running
  for (const auto& e : snap.data().emergency_access) {
    if (e.user_id == user_id_ && e.realm_id == r && e.expires_at > now_us) {
      until = std::max(until, e.expires_at);
    }
  }
  return until;
}

rules::BitsetView Session::admitted_realms(std::int64_t now_us, const PolicySnapshot& snap) {
  if (admitted_key_.fresh(snap, now_us)) return rules::BitsetView(admitted_);
  admitted_.assign(snap.realm_capacity() / 64 + 1, 0);
  admitted_key_ = {&snap, snap.version(), std::numeric_limits<std::int64_t>::max()};
  for (rules::RealmId r = 0; r < snap.realm_capacity(); ++r) {
    const std::int64_t until = admitted_until(r, now_us, snap);
    if (until <= now_us) continue;
    admitted_[r / 64] |= std::uint64_t{1} << (r % 64);
    admitted_key_.until_us = std::min(admitted_key_.until_us, until);
  }
  return rules::BitsetView(admitted_);
}

}  // namespace dbvault::vault
