// Real in-memory implementations of the gate's collaborators (the vault and the audit log do
// not exist in crypto/): an authorizer backed by a set of grants and an audit sink backed by a
// vector, which can be switched to "unavailable" like a full disk.
#pragma once

#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "crypto/key_gate.h"

namespace dbvault::crypto::test {

class InMemoryAuthorizer final : public KeyAuthorizer {
 public:
  void grant(std::uint64_t session, const KeyScope& scope) {
    std::lock_guard lock(mu_);
    grants_.insert({session, scope.to_string()});
  }
  void revoke(std::uint64_t session, const KeyScope& scope) {
    std::lock_guard lock(mu_);
    grants_.erase({session, scope.to_string()});
  }
  bool authorized(const SessionRef& session, const KeyScope& scope) const override {
    std::lock_guard lock(mu_);
    return grants_.count({session.session_id, scope.to_string()}) != 0;
  }

 private:
  mutable std::mutex mu_;
  std::set<std::pair<std::uint64_t, std::string>> grants_;
};

class InMemoryAuditSink final : public KeyAccessSink {
 public:
  Status record_key_access(const KeyAccessEvent& event) override {
    std::lock_guard lock(mu_);
    if (!available_) return make_error(sqlstate::kSystemError, "audit store is full");
    events_.push_back(event);
    return ok_status();
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
  bool available_ = true;
  std::vector<KeyAccessEvent> events_;
};

}  // namespace dbvault::crypto::test
