// SessionRegistry: the live client connections of one server — how many there are (for
// max_connections), their BackendKeyData (pid, secret) so that a CancelRequest on another
// connection can interrupt the right statement, and shutdown (wake every connection, wait for
// them to finish their statements).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace dbvault::server::session {

// What vault.sessions shows of a live session.
struct SessionSummary {
  std::string session_id;
  std::string user;
  std::string client_ip;
  std::string program_name;
  std::string started_at;  // RFC 3339
  bool tls = false;
};

class SessionRegistry {
 public:
  explicit SessionRegistry(int max_connections) : max_(max_connections) {}

  struct Ticket {
    std::int32_t pid = 0;
    std::int32_t secret = 0;
  };
  // Reserves a slot; nullopt when max_connections are open. `on_cancel` interrupts the running
  // statement; `on_shutdown` makes the connection's blocked read return.
  std::optional<Ticket> enter(SessionSummary summary, std::function<void()> on_cancel,
                              std::function<void()> on_shutdown);
  std::vector<SessionSummary> list() const;
  void leave(std::int32_t pid);
  // A CancelRequest: interrupts only when pid and secret both match (constant-time compare).
  void cancel(std::int32_t pid, std::int32_t secret);
  // Stops new entries, calls every on_shutdown, and waits until every connection left.
  void shutdown();
  bool shutting_down() const;
  int count() const;

 private:
  struct Entry {
    SessionSummary summary;
    std::int32_t secret;
    std::function<void()> on_cancel;
    std::function<void()> on_shutdown;
  };
  mutable std::mutex mu_;
  std::condition_variable empty_;
  std::map<std::int32_t, Entry> live_;
  int max_;
  std::int32_t next_pid_ = 1000;
  bool stopping_ = false;
};

}  // namespace dbvault::server::session
