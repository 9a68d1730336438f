#include "crypto/key_gate.h"

#include <atomic>

namespace dbvault::crypto {

// An unwrapped TEK shared by the cache and the handles released from it.
class CachedTek {
 public:
  CachedTek(UnwrappedTek tek, std::shared_ptr<InvocationBudget> budget)
      : info_(std::move(tek.info)), key_(std::move(tek.key)), budget_(std::move(budget)) {}

  const TekInfo& info() const { return info_; }
  const std::shared_ptr<InvocationBudget>& budget() const { return budget_; }

  void zeroize() {
    std::lock_guard lock(mu_);
    key_.wipe();
    withdrawn_.store(true, std::memory_order_release);
  }
  // Lock-free: the page ciphers test it before every page they read or write.
  bool zeroized() const { return withdrawn_.load(std::memory_order_acquire); }
  Status with_key(const std::function<void(const SecretBytes&)>& fn) const {
    std::lock_guard lock(mu_);
    if (key_.empty()) {
      return make_error(sqlstate::kSystemError,
                        "the key of \"" + info_.scope.to_string() +
                            "\" was withdrawn (expired, realm locked or master key unavailable); "
                            "release it again");
    }
    fn(key_);
    return ok_status();
  }

 private:
  const TekInfo info_;
  mutable std::mutex mu_;
  SecretBytes key_;
  std::atomic<bool> withdrawn_{false};
  std::shared_ptr<InvocationBudget> budget_;
};

namespace {
std::string key_id_of(const TekInfo& info) {
  return info.scope.to_string() + "@v" + std::to_string(info.version);
}
}  // namespace

const TekInfo& TekHandle::info() const { return tek_->info(); }
std::string TekHandle::key_id() const { return key_id_of(tek_->info()); }
bool TekHandle::expired() const { return withdrawn() || clock_->now() >= until_; }
bool TekHandle::withdrawn() const { return tek_->zeroized(); }

Status TekHandle::check_authorization() const {
  if (clock_->now() < until_) return ok_status();
  return make_error(sqlstate::kSystemError,
                    "the authorization that released the key of \"" +
                        tek_->info().scope.to_string() +
                        "\" has ended (its unlock expired); release it again");
}

Status TekHandle::with_key(const std::function<void(const SecretBytes&)>& fn) const {
  DBV_RETURN_IF_ERROR(check_authorization());
  return tek_->with_key(fn);
}

Result<Aead> TekHandle::aead() const {
  DBV_RETURN_IF_ERROR(check_authorization());
  std::optional<Result<Aead>> made;
  DBV_RETURN_IF_ERROR(tek_->with_key([&](const SecretBytes& key) {
    made.emplace(Aead::create(tek_->info().algorithm, key, tek_->budget()));
  }));
  return std::move(*made);
}

Result<DeterministicAead> TekHandle::deterministic_aead() const {
  DBV_RETURN_IF_ERROR(check_authorization());
  std::optional<Result<DeterministicAead>> made;
  DBV_RETURN_IF_ERROR(tek_->with_key(
      [&](const SecretBytes& key) { made.emplace(DeterministicAead::create(key)); }));
  return std::move(*made);
}

KeyGate::KeyGate(TekStore& store, const KeyAuthorizer& authorizer, KeyAccessSink& sink,
                 const Clock& clock, KeyGateOptions options)
    : store_(store), authorizer_(authorizer), sink_(sink), clock_(clock), options_(options) {}

KeyGate::~KeyGate() { clear(); }

Result<TekHandle> KeyGate::release(const SessionRef& session, const KeyScope& scope) {
  return release_impl(session, scope, std::nullopt);
}

Result<TekHandle> KeyGate::release(const SessionRef& session, const KeyScope& scope,
                                   std::uint32_t version) {
  return release_impl(session, scope, version);
}

Result<TekHandle> KeyGate::release_impl(const SessionRef& session, const KeyScope& scope,
                                        std::optional<std::uint32_t> version) {
  const KeyAuthorization authorization = authorizer_.authorize(session, scope);
  if (!authorization.granted || authorization.until <= clock_.now()) {
    return make_error(sqlstate::kInsufficientPrivilege,
                      "session " + std::to_string(session.session_id) + " (user \"" + session.user +
                          "\") is not authorized for data protected by key \"" + scope.to_string() +
                          "\"");
  }
  std::shared_ptr<CachedTek> tek;
  std::optional<KeyAccessEvent> unrecorded;  // this session's first access to this key version
  {
    std::lock_guard lock(mu_);
    if (Status mek = store_.check_provider(); !mek.ok()) {
      clear_locked();  // fail closed: nothing stays usable without the MEK
      return std::move(mek).error();
    }
    purge_locked(clock_.now());
    auto found = lookup_locked(scope, version);
    if (!found) return std::move(found).error();
    tek = std::move(*found);
    const TekInfo& info = tek->info();
    if (audited_.count({session.session_id, info.scope.to_string(), info.version}) == 0) {
      unrecorded = KeyAccessEvent{session.session_id, session.user, key_id_of(info), info.scope,
                                  info.version,       info.mek_id,  clock_.now()};
    }
  }
  if (unrecorded) {
    // Recording waits for the audit log's flush: not under the gate's lock, so that other
    // sessions' releases (and locks, expiry, shutdown) go on meanwhile. The key is handed out
    // only once its record is durable. Two concurrent first releases may both record.
    if (Status s = sink_.record_key_access(*unrecorded); !s.ok()) {
      return make_error(
          sqlstate::kSystemError,
          "key access not released: the audit log could not record it (" + s.error().message + ")");
    }
    std::lock_guard lock(mu_);
    audited_.insert({session.session_id, unrecorded->scope.to_string(), unrecorded->version});
  }
  if (tek->zeroized()) {  // locked, expired or the MEK failed while the access was recorded
    return make_error(sqlstate::kSystemError,
                      "the key of \"" + scope.to_string() +
                          "\" was withdrawn while its access was being recorded; release it again");
  }
  return TekHandle(std::move(tek), authorization.until, clock_);
}

Result<std::shared_ptr<CachedTek>> KeyGate::lookup_locked(const KeyScope& scope,
                                                          std::optional<std::uint32_t> version) {
  const std::string name = scope.to_string();
  if (!version) {
    auto active = active_version_.find(name);
    if (active != active_version_.end()) version = active->second;
  }
  if (version) {
    auto hit = cache_.find({name, *version});
    if (hit != cache_.end()) return hit->second.tek;
  }
  auto unwrapped = store_.unwrap(scope, version);
  if (!unwrapped) return std::move(unwrapped).error();
  const CacheKey key{name, unwrapped->info.version};
  auto& budget = budgets_[key];
  if (!budget) {  // persisted in keys.db, so that a restart does not reset the count
    auto used = store_.reserved_invocations(scope, key.second);
    if (!used) {
      budgets_.erase(key);
      return std::move(used).error();
    }
    budget = std::make_shared<InvocationBudget>(
        InvocationBudget::kDefaultLimit, *used,
        [&store = store_, scope, version = key.second](std::uint64_t up_to) {
          return store.reserve_invocations(scope, version, up_to);
        });
  }
  if (unwrapped->info.state == TekState::kActive) active_version_[name] = key.second;
  if (cache_.size() >= options_.max_cached_keys && !cache_.empty()) {
    auto soonest = cache_.begin();
    for (auto it = cache_.begin(); it != cache_.end(); ++it) {
      if (it->second.expires < soonest->second.expires) soonest = it;
    }
    soonest->second.tek->zeroize();
    cache_.erase(soonest);
  }
  auto tek = std::make_shared<CachedTek>(std::move(*unwrapped), budget);
  cache_[key] = Entry{tek, clock_.now() + options_.cache_ttl};
  return tek;
}

std::size_t KeyGate::purge_locked(TimePoint now) {
  std::size_t purged = 0;
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (it->second.expires <= now) {
      it->second.tek->zeroize();
      active_version_.erase(it->first.first);
      it = cache_.erase(it);
      ++purged;
    } else {
      ++it;
    }
  }
  return purged;
}

std::size_t KeyGate::purge_expired() {
  std::lock_guard lock(mu_);
  return purge_locked(clock_.now());
}

void KeyGate::evict_locked(const std::string& scope) {
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (it->first.first == scope) {
      it->second.tek->zeroize();
      it = cache_.erase(it);
    } else {
      ++it;
    }
  }
  active_version_.erase(scope);
}

void KeyGate::lock_scopes(std::span<const KeyScope> scopes) {
  std::lock_guard lock(mu_);
  for (const auto& scope : scopes) evict_locked(scope.to_string());
}

void KeyGate::end_session(std::uint64_t session_id) {
  std::lock_guard lock(mu_);
  auto first = audited_.lower_bound(std::make_tuple(session_id, std::string(), std::uint32_t{0}));
  auto it = first;
  while (it != audited_.end() && std::get<0>(*it) == session_id) ++it;
  audited_.erase(first, it);
}

void KeyGate::clear_locked() {
  for (auto& [key, entry] : cache_) entry.tek->zeroize();
  cache_.clear();
  active_version_.clear();
}

void KeyGate::clear() {
  std::lock_guard lock(mu_);
  clear_locked();
}

std::size_t KeyGate::cached_keys() const {
  std::lock_guard lock(mu_);
  return cache_.size();
}

Result<std::vector<TekHandle>> KeyGate::release_all(const SessionRef& session,
                                                    const KeyScope& scope) {
  auto all = store_.versions(scope);
  if (!all) return std::move(all).error();
  if (all->empty()) {
    return make_error(sqlstate::kUndefinedObject, "no key for \"" + scope.to_string() + "\"");
  }
  std::vector<TekHandle> out;
  for (const auto& info : *all) {
    auto handle = release_impl(session, scope, info.version);
    if (!handle) return std::move(handle).error();
    out.push_back(std::move(*handle));
  }
  return out;
}

Result<TekInfo> KeyGate::begin_tek_rotation(const KeyScope& scope,
                                            std::optional<AeadAlgorithm> algorithm) {
  auto info = store_.begin_tek_rotation(scope, algorithm);
  if (!info) return std::move(info).error();
  std::lock_guard lock(mu_);
  evict_locked(scope.to_string());  // holders release again, and get the new version with it
  return info;
}

Status KeyGate::finish_tek_rotation(const KeyScope& scope, const ReencryptStep& step,
                                    const ProgressSink& progress) {
  Status finished = store_.finish_tek_rotation(scope, step, progress);
  if (finished.ok()) {
    std::lock_guard lock(mu_);
    evict_locked(scope.to_string());  // retired versions are gone from the store too
  }
  return finished;
}

Result<TekInfo> KeyGate::rotate_tek(const KeyScope& scope, const ReencryptStep& step,
                                    const ProgressSink& progress) {
  auto info = begin_tek_rotation(scope);
  if (!info) return std::move(info).error();
  DBV_RETURN_IF_ERROR(finish_tek_rotation(scope, step, progress));
  return info;
}

Status KeyGate::destroy(const KeyScope& scope) {
  const Status destroyed = store_.destroy(scope);
  std::lock_guard lock(mu_);
  evict_locked(scope.to_string());  // also on error: fail closed, the next release unwraps again
  return destroyed;
}

Status KeyGate::rotate_mek(std::shared_ptr<MasterKeyProvider> next) {
  // TEKs are unchanged by a MEK rotation, so cached keys stay valid: no downtime.
  return store_.rotate_mek(std::move(next));
}

}  // namespace dbvault::crypto
