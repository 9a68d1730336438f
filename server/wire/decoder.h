// Decoder: bytes from a client in, typed frontend messages out (the pgproto3/h11 model). No
// sockets, threads or timers: the connection layer feeds what it read and asks for messages.
//
// Phases. In kStartup a message has no type byte (Int32 length, Int32 code/version, body):
// SSLRequest, GSSENCRequest, CancelRequest or StartupMessage. Decoding a StartupMessage
// switches the decoder to kNormal (Byte1 type, Int32 length, body); SSLRequest and
// GSSENCRequest leave it in kStartup (the client sends its StartupMessage next).
//
// Errors (docs/protocol.md §Malformed input): every malformed message is 08P01
// protocol_violation, except an unsupported protocol major version (0A000
// feature_not_supported, as PostgreSQL answers). After an error the decoder is failed for
// good: next() returns the same error again and feed() discards its input. The caller sends
// the ErrorResponse and closes the connection.
//
// Memory. A length prefix is checked as soon as its bytes are in, before any byte of the body
// is kept for it: a prefix above the limit fails at once, so a 1 GiB prefix never makes the
// decoder hold more than what was actually fed. Call next() until it returns nullopt after
// each feed(); buffered() is then below the pending message's size plus one read.
//
// Thread-safety: one Decoder per connection, not synchronized.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "server/wire/messages.h"

namespace dbvault::server::wire {

enum class Phase { kStartup, kNormal };

// PostgreSQL reads authentication messages with a 65,535-byte limit (PG_MAX_AUTH_TOKEN_LENGTH,
// body only): before a client has authenticated it may not make the server buffer 64 MiB.
inline constexpr std::size_t kMaxAuthMessageSize = 65'535 + 4;

// Messages whose body is a name or nothing (Describe, Execute, Close, Sync, Flush,
// Terminate, CopyDone) never need more than this (PostgreSQL's PQ_SMALL_MESSAGE_LIMIT), so a
// larger length announced for one is refused before anything is buffered.
inline constexpr std::size_t kSmallMessageLimit = 10'000;

struct DecoderOptions {
  // Largest message accepted in kNormal, counting the length field (not the type byte);
  // kSmallMessageLimit applies too to the types listed above.
  std::size_t max_message_size = std::size_t{64} << 20;
  // Largest startup-phase packet (PostgreSQL's MAX_STARTUP_PACKET_LENGTH).
  std::size_t max_startup_size = 10'000;
  Phase phase = Phase::kStartup;
};

class Decoder {
 public:
  explicit Decoder(DecoderOptions options = {});

  // Appends bytes read from the client. Does nothing once the decoder has failed.
  void feed(std::string_view bytes);

  // The next complete message; nullopt when more bytes are needed; an Error (08P01 / 0A000)
  // when the input is malformed, after which the decoder stays failed.
  // An SSLRequest or GSSENCRequest followed by bytes already buffered is an error (08P01
  // "received unencrypted data after SSL request"): those bytes were sent before the answer
  // and must not be read as if they had come over the encrypted channel.
  Result<std::optional<FrontendMessage>> next();

  // The caller may switch phases (e.g. a connection layer that handled startup elsewhere).
  void set_phase(Phase phase) { phase_ = phase; }
  // Changes the normal-phase limit for the messages still to come, e.g. kMaxAuthMessageSize
  // until authentication succeeds, then the configured maximum.
  void set_max_message_size(std::size_t size) { options_.max_message_size = size; }
  Phase phase() const { return phase_; }

  bool failed() const { return error_.has_value(); }
  // Bytes fed and not yet returned as messages.
  std::size_t buffered() const { return buffer_.size() - start_; }
  // True when the next message (kNormal) is of `type` and all its bytes are already fed, so
  // that next() returns it without waiting for the client.
  bool next_is_complete(char type) const;

 private:
  Result<std::optional<FrontendMessage>> fail(Error error);
  Result<std::optional<FrontendMessage>> next_startup();
  Result<std::optional<FrontendMessage>> next_normal();
  void consume(std::size_t n);

  DecoderOptions options_;
  Phase phase_;
  std::string buffer_;
  std::size_t start_ = 0;  // offset of the first unconsumed byte in buffer_
  std::optional<Error> error_;
};

}  // namespace dbvault::server::wire
