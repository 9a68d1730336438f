#include "vault/key_authorizer.h"

#include <algorithm>
#include <limits>

#include "vault/vault.h"

namespace dbvault::vault {

namespace {
constexpr std::int64_t kForever = std::numeric_limits<std::int64_t>::max();

TimePoint time_of(std::int64_t us) {
  return us == kForever ? TimePoint::max() : TimePoint(std::chrono::microseconds(us));
}
}  // namespace

void MemoryScopeCatalog::set(const crypto::KeyScope& scope, std::vector<ast::ObjectRef> objects) {
  std::lock_guard lock(mu_);
  objects_[scope] = std::move(objects);
}

std::vector<ast::ObjectRef> MemoryScopeCatalog::objects(const crypto::KeyScope& scope) const {
  std::lock_guard lock(mu_);
  auto it = objects_.find(scope);
  return it == objects_.end() ? std::vector<ast::ObjectRef>{} : it->second;
}

std::vector<crypto::KeyScope> MemoryScopeCatalog::scopes() const {
  std::lock_guard lock(mu_);
  std::vector<crypto::KeyScope> out;
  for (const auto& [scope, objects] : objects_) out.push_back(scope);
  return out;
}

KeyAuthorizer::KeyAuthorizer(const Vault& vault, const ScopeCatalog& catalog, const Clock& clock)
    : vault_(vault), catalog_(catalog), clock_(clock) {}

void KeyAuthorizer::set_gate(crypto::KeyGate* gate) {
  std::lock_guard lock(mu_);
  gate_ = gate;
}

void KeyAuthorizer::attach(std::uint64_t id, const Session& session) {
  std::lock_guard lock(mu_);
  sessions_[id] = &session;
}

void KeyAuthorizer::detach(std::uint64_t id) {
  std::lock_guard lock(mu_);
  sessions_.erase(id);
}

std::int64_t KeyAuthorizer::object_until(const Session& s, const PolicySnapshot& snap,
                                         const ast::ObjectRef& object, std::int64_t now_us) const {
  const auto id = snap.resolve_access_object(object);
  const ObjectInfo* info = id ? snap.object(*id) : nullptr;
  if (info == nullptr) return 0;  // unknown to the policy: fail closed
  std::int64_t until = kForever;
  snap.realms_of(*info).for_each([&](rules::RealmId realm) {
    const RealmInfo* r = snap.realm(realm);
    if (r != nullptr && r->state == ast::ObjectState::kSimulation) return;  // not enforced
    until = std::min(until, s.admitted_until(realm, now_us, snap));
  });
  return until;
}

crypto::KeyAuthorization KeyAuthorizer::authorize(const crypto::SessionRef& ref,
                                                  const crypto::KeyScope& scope) const {
  const bool tablespace = scope.kind() == crypto::ScopeKind::kTablespace;
  if (!tablespace && scope.kind() != crypto::ScopeKind::kColumns) return {};
  const auto objects = catalog_.objects(scope);
  if (objects.empty()) return {};
  std::lock_guard lock(mu_);  // the session stays attached while it is read
  auto it = sessions_.find(ref.session_id);
  if (it == sessions_.end() || it->second->user_name() != ref.user) return {};
  const Session& s = *it->second;
  auto snap = vault_.snapshot();
  if (!snap->vault_enabled()) return {true, TimePoint::max()};
  const std::int64_t now_us = clock_.now().time_since_epoch().count();
  // The worst of the objects the key decrypts: a tablespace's key opens the pages of every
  // table stored in it, so a session admitted to one of them only must not hold it (the
  // cryptographic boundary is the tablespace; docs/encryption.md §9).
  std::int64_t until = kForever;
  for (const auto& o : objects) until = std::min(until, object_until(s, *snap, o, now_us));
  if (until <= now_us) return {};
  return {true, time_of(until)};
}

void KeyAuthorizer::unlocks_ended(const Session& /*session*/,
                                  std::span<const rules::RealmId> realms) {
  crypto::KeyGate* gate = nullptr;
  {
    std::lock_guard lock(mu_);
    gate = gate_;
  }
  if (gate == nullptr || realms.empty()) return;
  auto snap = vault_.snapshot();
  std::vector<crypto::KeyScope> touched;
  for (const auto& scope : catalog_.scopes()) {
    for (const auto& o : catalog_.objects(scope)) {
      const auto id = snap->resolve_access_object(o);
      const ObjectInfo* info = id ? snap->object(*id) : nullptr;
      const auto in = info != nullptr ? snap->realms_of(*info) : rules::BitsetView{};
      const bool hit = info == nullptr || std::any_of(realms.begin(), realms.end(),
                                                      [&](rules::RealmId r) { return in.test(r); });
      if (hit) {
        touched.push_back(scope);
        break;
      }
    }
  }
  gate->lock_scopes(touched);
}

void KeyAuthorizer::policy_changed() {
  crypto::KeyGate* gate = nullptr;
  {
    std::lock_guard lock(mu_);
    gate = gate_;
  }
  if (gate == nullptr) return;
  const auto scopes = catalog_.scopes();
  gate->lock_scopes(scopes);
}

}  // namespace dbvault::vault
