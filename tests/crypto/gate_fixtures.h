// Real in-memory implementations of the gate's collaborators (the vault and the audit log do
// not exist in crypto/): an authorizer backed by a set of grants and an audit sink backed by a
// vector, which can be switched to "unavailable" like a full disk.
#pragma once

#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "crypto/env_provider.h"
#include "crypto/key_gate.h"
#include "crypto/tek_store.h"

namespace dbvault::crypto::test {

class InMemoryAuthorizer final : public KeyAuthorizer {
 public:
  // Authorizes `session` for `scope` until `until` (default: without end).
  void grant(std::uint64_t session, const KeyScope& scope, TimePoint until = TimePoint::max()) {
    std::lock_guard lock(mu_);
    grants_[{session, scope.to_string()}] = until;
  }
  void revoke(std::uint64_t session, const KeyScope& scope) {
    std::lock_guard lock(mu_);
    grants_.erase({session, scope.to_string()});
  }
  KeyAuthorization authorize(const SessionRef& session, const KeyScope& scope) const override {
    std::lock_guard lock(mu_);
    auto it = grants_.find({session.session_id, scope.to_string()});
    if (it == grants_.end()) return {};
    return {true, it->second};
  }

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::uint64_t, std::string>, TimePoint> grants_;
};

// Records in memory. hold(session) makes that session's records wait (as a slow flush of
// the audit log would) until release_hold(); entered() counts records begun.
class InMemoryAuditSink final : public KeyAccessSink {
 public:
  Status record_key_access(const KeyAccessEvent& event) override {
    std::unique_lock lock(mu_);
    ++entered_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return !held_ || *held_ != event.session_id; });
    if (!available_) return make_error(sqlstate::kSystemError, "audit store is full");
    events_.push_back(event);
    return ok_status();
  }
  void hold(std::uint64_t session) {
    std::lock_guard lock(mu_);
    held_ = session;
  }
  void release_hold() {
    std::lock_guard lock(mu_);
    held_.reset();
    changed_.notify_all();
  }
  // Waits until `n` records have begun (or 10 s); true if they have.
  bool wait_entered(std::size_t n) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return entered_ >= n; });
  }
  void set_available(bool available) {
    std::lock_guard lock(mu_);
    available_ = available;
  }
  std::vector<KeyAccessEvent> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::optional<std::uint64_t> held_;
  std::size_t entered_ = 0;
  bool available_ = true;
  std::vector<KeyAccessEvent> events_;
};

// A key store in `keys_dir` whose MEK comes from the env provider (`hex`: 64 hex characters,
// `key_id` its name); the variables are unset again before it returns.
inline Result<std::unique_ptr<TekStore>> open_env_key_store(const std::filesystem::path& keys_dir,
                                                            const std::string& hex,
                                                            const std::string& key_id,
                                                            const Clock& clock) {
  ::setenv("DBVAULT_MASTER_KEY_HEX", hex.c_str(), 1);
  ::setenv("DBVAULT_MASTER_KEY_ID", key_id.c_str(), 1);
  auto mek = open_env_provider();
  ::unsetenv("DBVAULT_MASTER_KEY_HEX");
  ::unsetenv("DBVAULT_MASTER_KEY_ID");
  if (!mek) return std::move(mek).error();
  return TekStore::open(keys_dir, std::move(*mek), clock);
}

}  // namespace dbvault::crypto::test
