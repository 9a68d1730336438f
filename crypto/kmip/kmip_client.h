// KmipClient: KMIP operations over one TLS connection (crypto/kmip/tls_channel.h), with
// bounded retries and one log line per call.
//
// Every call logs (spdlog, info on success, warn on failure) the operation, the object's unique
// identifier, the attempt count and the latency in microseconds — never a payload byte. A call
// that fails in transport (connection lost, timeout) reconnects and is retried up to
// `attempts` times in all, but only when the operation is idempotent (Create is not: a retry
// could leave a second key behind). A KMIP error response (e.g. Permission Denied) is never
// retried. Messages carrying key bytes are wiped once sent or parsed.
//
// Thread-safety: all methods may be called concurrently (one connection, guarded by a mutex).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/result.h"
#include "crypto/kmip/messages.h"
#include "crypto/kmip/tls_channel.h"

namespace dbvault::crypto::kmip {

struct ClientOptions {
  TlsOptions tls;
  int attempts = 2;  // per idempotent call, including the first
};

class KmipClient {
 public:
  // Connects now, so that an unreachable server is reported at start-up (58000 naming it).
  static Result<std::unique_ptr<KmipClient>> connect(const ClientOptions& options);

  // Sends `payload` for `op` about object `unique_id` (may be empty, e.g. Locate) and returns
  // the response payload. 58000 naming host:port on any failure.
  Result<Item> call(Operation op, std::string_view unique_id, const Item& payload);

  // "host:port", for messages.
  std::string endpoint() const;

 private:
  explicit KmipClient(ClientOptions options, std::unique_ptr<TlsChannel> channel);
  Result<Item> attempt(Operation op, const std::vector<std::uint8_t>& request);

  ClientOptions options_;
  std::mutex mu_;
  std::unique_ptr<TlsChannel> channel_;  // null after a transport failure until reconnected
};

}  // namespace dbvault::crypto::kmip
