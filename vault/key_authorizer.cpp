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

// Calls `fn` for each realm protecting object `id` (`info`); with `with_columns` and a table,
// also for each realm of one of its columns, which the table's own realms do not include: a
// page key opens every column of the table, so a column realm keeps a session from the key as
// a table realm does. One pass over the realm memberships (releases are rare: once per session
// and key).
template <typename Fn>
void for_each_realm(const PolicySnapshot& snap, rules::ObjectId id, const ObjectInfo& info,
                    bool with_columns, Fn fn) {
  snap.realms_of(info).for_each(fn);
  if (!with_columns || info.table_id != rules::kNoId) return;
  for (const auto& ro : snap.data().realm_objects) {
    const ObjectInfo* column = snap.object(ro.object_id);
    if (column != nullptr && column->table_id == id) fn(ro.realm_id);
  }
}
// The end of the session's admission to `realm` (kForever for a realm in SIMULATION: not
// enforced; 0: not admitted).
std::int64_t realm_until(const Session& s, const PolicySnapshot& snap, rules::RealmId realm,
                         std::int64_t now_us) {
  const RealmInfo* r = snap.realm(realm);
  if (r != nullptr && r->state == ast::ObjectState::kSimulation) return kForever;
  return s.admitted_until(realm, now_us, snap);
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
                                         const ast::ObjectRef& object, std::int64_t now_us,
                                         bool with_columns) const {
  const auto id = snap.resolve_access_object(object);
  const ObjectInfo* info = id ? snap.object(*id) : nullptr;
  if (info == nullptr) return 0;  // unknown to the policy: fail closed
  std::int64_t until = kForever;
  const auto admit = [&](rules::RealmId realm) {
    const RealmInfo* r = snap.realm(realm);
    if (r != nullptr && owner_exempt(*r, *info, s.user_id())) return;  // as the decision
    until = std::min(until, realm_until(s, snap, realm, now_us));
  };
  for_each_realm(snap, *id, *info, with_columns, admit);
  return until;
}

crypto::KeyAuthorization KeyAuthorizer::authorize(const crypto::SessionRef& ref,
                                                  const crypto::KeyScope& scope) const {
  const bool tablespace = scope.kind() == crypto::ScopeKind::kTablespace;
  if (!tablespace && scope.kind() != crypto::ScopeKind::kColumns) return {};
  const auto objects = catalog_.objects(scope);
  auto snap = vault_.snapshot();
  // A realm's own tablespace is the realm's from its creation, before it holds a table.
  const auto own_realm = tablespace ? snap->realm_of_tablespace(scope.name()) : std::nullopt;
  if (objects.empty() && !own_realm) return {};
  std::lock_guard lock(mu_);  // the session stays attached while it is read
  auto it = sessions_.find(ref.session_id);
  if (it == sessions_.end() || it->second->user_name() != ref.user) return {};
  const Session& s = *it->second;
  if (!snap->vault_enabled()) return {true, TimePoint::max()};
  const std::int64_t now_us = clock_.now().time_since_epoch().count();
  // The worst of the objects the key decrypts: a tablespace's key opens the pages of every
  // table stored in it, so a session admitted to one of them only must not hold it (the
  // cryptographic boundary is the tablespace; docs/encryption.md §9).
  std::int64_t until = kForever;
  for (const auto& o : objects) {
    until = std::min(until, object_until(s, *snap, o, now_us, tablespace));
  }
  // Each table of it joined the realm when it was made (ALTER REALM ... REMOVE TABLE takes one
  // out, deliberately); before the first, the realm alone answers.
  if (objects.empty()) until = realm_until(s, *snap, *own_realm, now_us);
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
    const bool tablespace = scope.kind() == crypto::ScopeKind::kTablespace;
    const auto own_realm = tablespace ? snap->realm_of_tablespace(scope.name()) : std::nullopt;
    if (own_realm && std::find(realms.begin(), realms.end(), *own_realm) != realms.end()) {
      touched.push_back(scope);
      continue;
    }
    for (const auto& o : catalog_.objects(scope)) {
      const auto id = snap->resolve_access_object(o);
      const ObjectInfo* info = id ? snap->object(*id) : nullptr;
      bool hit = info == nullptr;
      if (info != nullptr) {
        for_each_realm(*snap, *id, *info, tablespace, [&](rules::RealmId r) {
          hit = hit || std::find(realms.begin(), realms.end(), r) != realms.end();
        });
      }
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
