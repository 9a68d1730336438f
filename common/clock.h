// Clock: the source of "now" for everything that expires (tokens, grants, key cache entries,
// lockouts, audit retention). Tests inject ManualClock and advance it instead of sleeping.
// Thread-safety: SystemClock is stateless; ManualClock is safe to read and advance from any
// thread.
#pragma once

#include <atomic>
#include <chrono>

namespace dbvault {

using TimePoint = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override {
    return std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now());
  }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : us_(start.time_since_epoch().count()) {}
  TimePoint now() const override { return TimePoint(std::chrono::microseconds(us_.load())); }
  void advance(std::chrono::microseconds by) { us_ += by.count(); }
  void set(TimePoint t) { us_ = t.time_since_epoch().count(); }

 private:
  std::atomic<long long> us_;
};

}  // namespace dbvault
