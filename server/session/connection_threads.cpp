#include "server/session/connection_threads.h"

#include <pthread.h>

#include <memory>

namespace dbvault::server::session {
namespace {

constexpr std::size_t kStackBytes = 1 << 20;  // connection threads need little stack

void* trampoline(void* arg) {
  std::unique_ptr<std::function<void()>> fn(static_cast<std::function<void()>*>(arg));
  (*fn)();
  return nullptr;
}

}  // namespace

bool ConnectionThreads::spawn(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    if (running_ >= limit_) return false;
    ++running_;
  }
  auto task = std::make_unique<std::function<void()>>([this, fn = std::move(fn)] {
    fn();
    std::lock_guard lock(mu_);
    if (--running_ == 0) idle_.notify_all();
  });
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kStackBytes);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  const int rc = pthread_create(&thread, &attr, trampoline, task.get());
  pthread_attr_destroy(&attr);
  if (rc == 0) {
    (void)task.release();  // the thread owns it now (trampoline)
  } else {
    std::lock_guard lock(mu_);
    if (--running_ == 0) idle_.notify_all();
  }
  return rc == 0;
}

void ConnectionThreads::wait_all() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return running_ == 0; });
}

int ConnectionThreads::running() const {
  std::lock_guard lock(mu_);
  return running_;
}

}  // namespace dbvault::server::session
