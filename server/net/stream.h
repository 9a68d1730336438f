// Stream: one client connection's byte stream, plain TCP or TLS over it (after SSLRequest).
// Reads wait at most a deadline, so that idle and statement timeouts need no extra thread.
//
// Thread-safety: one thread reads and writes; shutdown() may be called from any thread to make
// a blocked read return (server shutdown).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "server/net/tls.h"

typedef struct ssl_st SSL;

namespace dbvault::server::net {

class Stream {
 public:
  explicit Stream(int fd);  // takes ownership of the socket
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Runs the server side of a TLS handshake. 08P01 when it fails (e.g. a TLS 1.2 client);
  // the connection must then be closed.
  Status start_tls(std::shared_ptr<const TlsContext> tls);
  bool tls() const { return ssl_ != nullptr; }
  // The verified client certificate's subject CN, if the client presented one that the
  // configured CA signed.
  std::optional<std::string> verified_peer_cn() const;
  const TlsContext* tls_context() const { return tls_ctx_.get(); }
  std::string tls_version() const;
  std::string tls_cipher() const;

  enum class ReadStatus { kData, kTimeout, kClosed };
  // Reads what is available (at most `max` bytes) into `out`, waiting until `timeout` (nullopt:
  // forever). kClosed on EOF, error, or shutdown().
  ReadStatus read_some(std::string& out, std::size_t max,
                       std::optional<std::chrono::milliseconds> timeout);
  // True if bytes are already buffered (TLS) or readable without waiting.
  bool readable_now();
  // Writes everything; false if the peer is gone.
  bool write_all(std::string_view bytes);
  // Ends the read side only: a blocked read returns kClosed, replies still go out.
  void shutdown();

 private:
  int fd_;
  SSL* ssl_ = nullptr;
  std::shared_ptr<const TlsContext> tls_ctx_;
};

}  // namespace dbvault::server::net
