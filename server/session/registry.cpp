#include "server/session/registry.h"

#include <array>

#include "crypto/random.h"

namespace dbvault::server::session {

std::optional<SessionRegistry::Ticket> SessionRegistry::enter(SessionSummary summary,
                                                              std::function<void()> on_cancel,
                                                              std::function<void()> on_shutdown) {
  std::array<std::uint8_t, 4> random{};
  if (!crypto::random_bytes(random)) return std::nullopt;
  std::lock_guard lock(mu_);
  if (stopping_ || static_cast<int>(live_.size()) >= max_) return std::nullopt;
  Ticket t;
  do {
    t.pid = next_pid_++;
    if (next_pid_ <= 0) next_pid_ = 1000;
  } while (live_.contains(t.pid));
  t.secret = static_cast<std::int32_t>(random[0] | random[1] << 8 | random[2] << 16 |
                                       static_cast<std::uint32_t>(random[3]) << 24);
  live_.emplace(t.pid,
                Entry{std::move(summary), t.secret, std::move(on_cancel), std::move(on_shutdown)});
  return t;
}

std::vector<SessionSummary> SessionRegistry::list() const {
  std::lock_guard lock(mu_);
  std::vector<SessionSummary> out;
  for (const auto& [pid, entry] : live_) out.push_back(entry.summary);
  return out;
}

void SessionRegistry::leave(std::int32_t pid) {
  std::lock_guard lock(mu_);
  live_.erase(pid);
  if (live_.empty()) empty_.notify_all();
}

void SessionRegistry::cancel(std::int32_t pid, std::int32_t secret) {
  std::lock_guard lock(mu_);
  const auto it = live_.find(pid);
  if (it == live_.end()) return;
  // Constant time in the secret: the comparison's duration does not depend on how many bits match.
  const std::uint32_t diff =
      static_cast<std::uint32_t>(it->second.secret) ^ static_cast<std::uint32_t>(secret);
  if (diff == 0) it->second.on_cancel();
}

void SessionRegistry::shutdown() {
  std::unique_lock lock(mu_);
  stopping_ = true;
  for (auto& [pid, entry] : live_) entry.on_shutdown();
  empty_.wait(lock, [&] { return live_.empty(); });
}

bool SessionRegistry::shutting_down() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

int SessionRegistry::count() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(live_.size());
}

}  // namespace dbvault::server::session
