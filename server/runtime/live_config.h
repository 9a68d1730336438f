// LiveConfig: the configuration of a running server, replaced when SIGHUP re-reads
// dbvault.conf (docs/server.md, "Reloading").
//
// Keys that shape what was built at start (listen, kms and the key provider's settings, the
// TLS file paths, max_connections, log_format) keep their start value until a restart; every
// other key takes effect for the next statement of every session (timeouts, limits, the
// export list, realm-access auditing, certificate users, require_tls for new connections,
// log_level).
//
// Thread-safety: current() from any thread, lock-free; replace() from one thread at a time.
// A reference from current() stays valid until the LiveConfig is destroyed (superseded
// versions are kept: a few hundred bytes per reload), so a session may hold one through a
// statement without locking.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/runtime/config.h"

namespace dbvault::server {

class LiveConfig {
 public:
  explicit LiveConfig(ServerConfig initial);
  LiveConfig(const LiveConfig&) = delete;
  LiveConfig& operator=(const LiveConfig&) = delete;

  const ServerConfig& current() const { return *current_.load(std::memory_order_acquire); }

  // Makes `next` current, with the restart-only keys kept at their current values. Returns the
  // restart-only keys whose value `next` changes (they are logged: "needs a restart").
  std::vector<std::string> replace(ServerConfig next);

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<const ServerConfig>> versions_;
  std::atomic<const ServerConfig*> current_;
};

// The keys of `next` that need a restart and differ from `running`, after setting them in
// `next` back to the values of `running`.
std::vector<std::string> keep_restart_only_keys(const ServerConfig& running, ServerConfig& next);

}  // namespace dbvault::server
