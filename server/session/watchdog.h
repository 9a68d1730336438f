// Watchdog: statement timeouts for every session on one thread. A session arms a deadline
// before a statement runs and disarms it after; at the deadline the watchdog calls the
// session's callback (which interrupts the engine connection: the statement fails with 57014).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace dbvault::server::session {

class Watchdog {
 public:
  Watchdog();
  ~Watchdog();  // stops the thread; pending deadlines are dropped
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  using Clock = std::chrono::steady_clock;
  // Replaces any deadline armed under `id`.
  void arm(std::int64_t id, Clock::time_point deadline, std::function<void()> on_expiry);
  void disarm(std::int64_t id);

 private:
  void run();
  std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::int64_t, std::pair<Clock::time_point, std::function<void()>>> armed_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace dbvault::server::session
