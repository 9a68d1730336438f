#include "server/session/watchdog.h"

namespace dbvault::server::session {

Watchdog::Watchdog() : thread_([this] { run(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void Watchdog::arm(std::int64_t id, Clock::time_point deadline, std::function<void()> on_expiry) {
  {
    std::lock_guard lock(mu_);
    armed_[id] = {deadline, std::move(on_expiry)};
  }
  changed_.notify_all();
}

void Watchdog::disarm(std::int64_t id) {
  std::lock_guard lock(mu_);
  armed_.erase(id);
}

void Watchdog::run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    auto earliest = Clock::time_point::max();
    for (const auto& [id, entry] : armed_) earliest = std::min(earliest, entry.first);
    if (earliest == Clock::time_point::max()) {
      changed_.wait(lock);
      continue;
    }
    changed_.wait_until(lock, earliest);
    const auto now = Clock::now();
    for (auto it = armed_.begin(); it != armed_.end();) {
      if (it->second.first <= now) {
        // Called under the lock, so a session that disarms has its callback done or dropped.
        it->second.second();
        it = armed_.erase(it);
      } else {
        ++it;
      }
    }
  }
}

}  // namespace dbvault::server::session
