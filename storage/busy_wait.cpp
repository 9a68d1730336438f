#include "storage/busy_wait.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <utility>

namespace dbvault::storage {
namespace {

using Clock = std::chrono::steady_clock;

// A lock held by something that does not notify is retried this often.
constexpr auto kPoll = std::chrono::milliseconds(5);

struct Waiters {
  std::mutex mu;
  std::condition_variable cv;
  std::uint64_t generation = 0;  // bumped by every notification
  std::atomic<int> count{0};
};

Waiters& waiters() {
  static Waiters w;
  return w;
}

thread_local Clock::time_point wait_started;
thread_local bool wait_cancelled = false;

// One call of SQLite's busy handler: 1 to try the lock again, 0 to give up.
int wait_once(std::chrono::milliseconds timeout, int count) {
  if (count == 0) wait_started = Clock::now();  // SQLite counts the calls of one wait from 0
  const auto left = timeout - (Clock::now() - wait_started);
  if (left <= Clock::duration::zero()) return 0;
  Waiters& w = waiters();
  std::unique_lock lock(w.mu);
  const std::uint64_t seen = w.generation;
  w.count.fetch_add(1, std::memory_order_relaxed);
  w.cv.wait_for(lock, std::min<Clock::duration>(kPoll, left), [&] { return w.generation != seen; });
  w.count.fetch_sub(1, std::memory_order_relaxed);
  return 1;
}

int busy_wait(void* arg, int count) {
  return wait_once(std::chrono::milliseconds(reinterpret_cast<std::intptr_t>(arg)), count);
}

int cancellable_wait(void* arg, int count) {
  auto& wait = *static_cast<BusyWait*>(arg);
  if (count == 0) wait_cancelled = false;
  if (wait.cancelled.load(std::memory_order_acquire)) {
    wait_cancelled = true;
    return 0;
  }
  return wait_once(std::chrono::milliseconds(wait.timeout_ms), count);
}

}  // namespace

void install_busy_wait(sqlite3* db, int timeout_ms) {
  sqlite3_busy_handler(db, timeout_ms > 0 ? busy_wait : nullptr,
                       reinterpret_cast<void*>(static_cast<std::intptr_t>(timeout_ms)));
}

void install_busy_wait(sqlite3* db, BusyWait& wait) {
  sqlite3_busy_handler(db, wait.timeout_ms > 0 ? cancellable_wait : nullptr, &wait);
}

bool take_cancelled_wait() { return std::exchange(wait_cancelled, false); }

void notify_write_ended() {
  Waiters& w = waiters();
  if (w.count.load(std::memory_order_relaxed) == 0) return;
  {
    std::lock_guard lock(w.mu);
    ++w.generation;
  }
  w.cv.notify_all();
}

}  // namespace dbvault::storage
