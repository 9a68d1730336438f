// ConnectionThreads: one thread per accepted connection, a cap on how many may run (so that
// unauthenticated connections cannot exhaust the server: max_connections sessions plus as many
// again in their startup phase), and a wait for all of them at shutdown.
//
// Thread-safety: spawn() from the accept thread; wait_all() from any thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>

namespace dbvault::server::session {

class ConnectionThreads {
 public:
  explicit ConnectionThreads(int limit) : limit_(limit) {}
  // Runs `fn` on a new detached thread; false (fn not run) when `limit` threads are running.
  bool spawn(std::function<void()> fn);
  void wait_all();
  int running() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable idle_;
  int running_ = 0;
  int limit_;
};

}  // namespace dbvault::server::session
