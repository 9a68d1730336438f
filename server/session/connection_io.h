// ConnectionIo: a connection's stream and decoder together — read the next frontend message
// (waiting at most a timeout), queue backend messages and flush them.
//
// Thread-safety: one thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "common/result.h"
#include "server/net/stream.h"
#include "server/wire/decoder.h"
#include "server/wire/encoder.h"

namespace dbvault::server::session {

class ConnectionIo {
 public:
  ConnectionIo(net::Stream& stream, wire::DecoderOptions options)
      : stream_(stream), decoder_(options) {}

  enum class Event { kMessage, kTimeout, kClosed, kError };
  struct Next {
    Event event = Event::kClosed;
    std::optional<wire::FrontendMessage> message;
    std::optional<Error> error;  // kError: a malformed message (08P01)
  };
  // The next message; waits at most `timeout` for bytes (nullopt: forever).
  Next next(std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // True if a complete message or more bytes are already waiting (pipelining).
  bool more_pending();

  std::string& out() { return out_; }
  // Writes what is queued. false if the peer is gone.
  bool flush();
  // Queues an ErrorResponse for `e` with `severity` (FATAL closes the connection).
  void error(const Error& e, std::string_view severity = "ERROR");

  net::Stream& stream() { return stream_; }
  wire::Decoder& decoder() { return decoder_; }

 private:
  net::Stream& stream_;
  wire::Decoder decoder_;
  std::string out_;
};

}  // namespace dbvault::server::session
