// Listener: the server's listening TCP socket and its accept loop.
//
// Thread-safety: run() blocks in its own thread; stop() may be called from any thread and makes
// run() return after the current accept.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/result.h"

namespace dbvault::server::net {

struct Peer {
  std::string address;  // "127.0.0.1", "::1"
  std::uint16_t port = 0;
};

class Listener {
 public:
  // Binds and listens (port 0: a free port, see port()). 58000 naming the address on failure.
  static Result<std::unique_ptr<Listener>> open(const std::string& host, std::uint16_t port);
  ~Listener();

  std::uint16_t port() const { return port_; }
  // Accepts until stop(), handing each connection's socket (owned by the callee) to `on_accept`.
  void run(const std::function<void(int fd, Peer peer)>& on_accept);
  void stop();

 private:
  Listener(int fd, int wake_read, int wake_write, std::uint16_t port)
      : fd_(fd), wake_read_(wake_read), wake_write_(wake_write), port_(port) {}
  int fd_;
  int wake_read_;
  int wake_write_;
  std::uint16_t port_;
};

}  // namespace dbvault::server::net
