// KeyGate: the only way the decryption layer obtains a usable TEK.
//
// release(session, scope) asks the vault (through KeyAuthorizer) whether the session is
// authorized for an object protected by the scope's key, and until when, records a key_access
// audit event once per session and key version (through KeyAccessSink; no key without its
// audit record), and returns a TekHandle that stops working when that authorization ends (an
// unlock's expiry, checked against the clock at every use: no sweeper needed). Unwrapped keys sit
// in a cache for a fixed TTL (default 15 minutes, from the unwrap) and are zeroized on expiry, on
// eviction, on lock_scopes() (LOCK REALM), when the master key becomes unreachable, and at
// clear()/destruction (shutdown). A handle whose key was zeroized fails with 58000 from then on: a
// released key does not outlive its lock.
//
// The gate checks the MEK on every release; if the MEK is revoked or unreachable (HSM token
// removed) every release fails with 58000 and every cached key is zeroized.
//
// Thread-safety: all KeyGate methods may be called concurrently; a TekHandle may be shared
// between threads (each thread makes its own Aead from it).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "crypto/aead.h"
#include "crypto/deterministic_aead.h"
#include "crypto/key_scope.h"
#include "crypto/tek_store.h"

namespace dbvault::crypto {

// Who asks for a key: the server's session id and the session's user. Not secret.
struct SessionRef {
  std::uint64_t session_id = 0;
  std::string user;
};

// An authorizer's answer: may the session use the key now, and until when does that hold
// without a policy change — the earliest expiry among what justified it (an unlock, an
// emergency access), TimePoint::max() when nothing in it expires.
struct KeyAuthorization {
  bool granted = false;
  TimePoint until = TimePoint::max();
};

// Implemented by the vault (vault/key_authorizer.h): "may this session use an object
// protected by this scope's key?" Must answer from memory (the policy snapshot), without
// blocking I/O. Thread-safe.
class KeyAuthorizer {
 public:
  virtual ~KeyAuthorizer() = default;
  virtual KeyAuthorization authorize(const SessionRef& session, const KeyScope& scope) const = 0;
};

struct KeyAccessEvent {
  std::uint64_t session_id = 0;
  std::string user;
  std::string key_id;  // "<scope>@v<version>", e.g. "tablespace:users@v2"
  KeyScope scope = KeyScope::audit();
  std::uint32_t version = 0;
  std::string mek_id;
  TimePoint at;
};

// Implemented by the audit log. An error means the event was not recorded; the release then
// fails with 58000 and the key is not handed out. Thread-safe.
class KeyAccessSink {
 public:
  virtual ~KeyAccessSink() = default;
  virtual Status record_key_access(const KeyAccessEvent& event) = 0;
};

struct KeyGateOptions {
  std::chrono::microseconds cache_ttl = std::chrono::minutes(15);
  std::size_t max_cached_keys = 4096;  // past this the soonest-expiring key is evicted
};

class CachedTek;  // key_gate.cpp

class TekHandle {
 public:
  const TekInfo& info() const;
  std::string key_id() const;
  // True once the gate zeroized the key (expiry, lock, shutdown, MEK failure) or the
  // authorization it was released on ended.
  bool expired() const;
  // True once the gate zeroized the key: the lock-free part of expired(), which also reads
  // the clock.
  bool withdrawn() const;
  // When the authorization it was released on ends (KeyAuthorization::until).
  TimePoint authorized_until() const { return until_; }
  // An AEAD keyed with this TEK, counting against the key's shared invocation budget.
  // 58000 if the key was zeroized or its authorization ended. The Aead is keyed when made:
  // make one per statement, not one per session.
  Result<Aead> aead() const;
  Result<DeterministicAead> deterministic_aead() const;
  // Runs `fn` with the key bytes, holding the key's lock so it cannot be zeroized meanwhile;
  // `fn` must not keep a copy. 58000 if the key was zeroized.
  Status with_key(const std::function<void(const SecretBytes&)>& fn) const;

 private:
  friend class KeyGate;
  TekHandle(std::shared_ptr<CachedTek> tek, TimePoint until, const Clock& clock)
      : tek_(std::move(tek)), until_(until), clock_(&clock) {}
  Status check_authorization() const;
  std::shared_ptr<CachedTek> tek_;
  TimePoint until_;
  const Clock* clock_;
};

class KeyGate {
 public:
  // `store`, `authorizer`, `sink` and `clock` must outlive the gate; `store` also outlives
  // every Aead made from its handles (their invocation budget reserves through it).
  KeyGate(TekStore& store, const KeyAuthorizer& authorizer, KeyAccessSink& sink, const Clock& clock,
          KeyGateOptions options = {});
  ~KeyGate();  // zeroizes every cached key
  KeyGate(const KeyGate&) = delete;
  KeyGate& operator=(const KeyGate&) = delete;

  // The scope's active key (to encrypt, and to decrypt current data). Errors: 42501 not
  // authorized; 42704 no key for the scope; 58000 MEK unreachable/revoked or audit unavailable;
  // XX001 wrapped-key record altered.
  Result<TekHandle> release(const SessionRef& session, const KeyScope& scope);
  // A specific version, to decrypt data written before a rotation finished. Same errors.
  Result<TekHandle> release(const SessionRef& session, const KeyScope& scope,
                            std::uint32_t version);

  // Every live version of the scope, oldest first (the last is the active one): what a file
  // needs while a rotation re-encrypts it (storage::vfs::PageKey::ring). Each version's release
  // is authorized and audited as release() does; on error nothing is returned.
  Result<std::vector<TekHandle>> release_all(const SessionRef& session, const KeyScope& scope);

  // LOCK REALM: zeroizes the cached keys of `scopes` now (the next release unwraps again,
  // after asking the authorizer again).
  void lock_scopes(std::span<const KeyScope> scopes);
  // The session ended: its "already audited" marks are dropped.
  void end_session(std::uint64_t session_id);
  // Zeroizes expired keys; returns how many. release() also does this.
  std::size_t purge_expired();
  // Shutdown: zeroizes every cached key.
  void clear();
  std::size_t cached_keys() const;

  // Rotation through the gate, so that the cache never hands out a retired version.
  // begin_tek_rotation: TekStore::begin_tek_rotation, then the scope's cached keys are zeroized,
  // so every handle of the scope expires and its holders release again (release_all: the new
  // version and the older, decrypt-only ones). finish_tek_rotation: TekStore's, then the same.
  // `algorithm`: the new version's (TekStore::begin_tek_rotation).
  Result<TekInfo> begin_tek_rotation(const KeyScope& scope,
                                     std::optional<AeadAlgorithm> algorithm = std::nullopt);
  Status finish_tek_rotation(const KeyScope& scope, const ReencryptStep& step,
                             const ProgressSink& progress);
  Result<TekInfo> rotate_tek(const KeyScope& scope, const ReencryptStep& step,
                             const ProgressSink& progress);
  Status rotate_mek(std::shared_ptr<MasterKeyProvider> next);
  // TekStore::destroy, and the scope's cached keys zeroized (every handle of it expires).
  Status destroy(const KeyScope& scope);

 private:
  using CacheKey = std::pair<std::string, std::uint32_t>;  // (scope, version)
  struct Entry {
    std::shared_ptr<CachedTek> tek;
    TimePoint expires;
  };

  Result<TekHandle> release_impl(const SessionRef& session, const KeyScope& scope,
                                 std::optional<std::uint32_t> version);
  Result<std::shared_ptr<CachedTek>> lookup_locked(const KeyScope& scope,
                                                   std::optional<std::uint32_t> version);
  void evict_locked(const std::string& scope);
  void clear_locked();
  std::size_t purge_locked(TimePoint now);

  TekStore& store_;
  const KeyAuthorizer& authorizer_;
  KeyAccessSink& sink_;
  const Clock& clock_;
  const KeyGateOptions options_;

  mutable std::mutex mu_;
  std::map<CacheKey, Entry> cache_;
  std::map<std::string, std::uint32_t> active_version_;            // scope -> cached active version
  std::map<CacheKey, std::shared_ptr<InvocationBudget>> budgets_;  // survive cache expiry
  std::set<std::tuple<std::uint64_t, std::string, std::uint32_t>> audited_;
};

}  // namespace dbvault::crypto
