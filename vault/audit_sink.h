// AuditSink: where the vault writes its audit events. The server backs it with audit::Log
// (append for ordinary events, append_sync for `durable` ones); tests use MemoryAuditSink.
//
// Contract: record() returns ok only once the event is stored (durably when `durable`). When
// an event gates an operation (an unlock, an emergency action, a rule violation, a simulated
// denial), a failed record() makes the vault refuse the operation with 58000.
// Events never carry a password or a token (the vault passes ids only).
// Thread-safety: implementations must accept calls from any thread.
#pragma once

#include <mutex>
#include <vector>

#include "audit/event.h"
#include "common/result.h"

namespace dbvault::vault {

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual Status record(const audit::Event& event, bool durable) = 0;
};

// Keeps events in memory; can be told to fail (to test the 58000 path).
class MemoryAuditSink final : public AuditSink {
 public:
  Status record(const audit::Event& event, bool durable) override {
    std::lock_guard lock(mu_);
    if (fail_) return make_error(sqlstate::kSystemError, "audit log unavailable");
    events_.push_back(event);
    durable_.push_back(durable);
    return ok_status();
  }
  void set_failing(bool fail) {
    std::lock_guard lock(mu_);
    fail_ = fail;
  }
  std::vector<audit::Event> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  // durable[i] is the `durable` flag events()[i] was recorded with.
  std::vector<bool> durable() const {
    std::lock_guard lock(mu_);
    return durable_;
  }
  void clear() {
    std::lock_guard lock(mu_);
    events_.clear();
    durable_.clear();
  }

 private:
  mutable std::mutex mu_;
  bool fail_ = false;
  std::vector<audit::Event> events_;
  std::vector<bool> durable_;
};

}  // namespace dbvault::vault
