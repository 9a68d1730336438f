#include "server/wire/decoder.h"

#include <algorithm>
#include <cstring>

#include "server/wire/frontend_parse.h"
#include "server/wire/wire_bytes.h"

namespace dbvault::server::wire {

namespace {

// Above this capacity an emptied buffer is released, so that one large message does not pin
// its memory for the rest of an idle connection.
constexpr std::size_t kKeepCapacity = 64 * 1024;

std::int32_t length_at(std::string_view bytes) {
  return *internal::ByteReader(bytes.substr(0, 4)).i32();
}

bool small_message(char type) {
  return type == 'D' || type == 'E' || type == 'C' || type == 'S' || type == 'H' || type == 'X' ||
         type == 'c';
}

Error protocol_violation(std::string message) {
  return make_error(sqlstate::kProtocolViolation, std::move(message));
}

}  // namespace

Decoder::Decoder(DecoderOptions options) : options_(options), phase_(options.phase) {}

bool Decoder::next_is_complete(char type) const {
  if (phase_ != Phase::kNormal || failed() || buffered() < 5 || buffer_[start_] != type) {
    return false;
  }
  const auto length = internal::ByteReader(std::string_view(buffer_).substr(start_ + 1, 4)).u32();
  return length && *length >= 4 && *length <= buffered() - 1;
}

void Decoder::feed(std::string_view bytes) {
  if (failed()) return;
  buffer_.append(bytes);
}

Result<std::optional<FrontendMessage>> Decoder::fail(Error error) {
  error_ = error;
  std::memset(buffer_.data(), 0, buffer_.size());
  std::string().swap(buffer_);
  start_ = 0;
  return error;
}

void Decoder::consume(std::size_t n) {
  start_ += n;
  if (start_ == buffer_.size()) {
    if (buffer_.capacity() > kKeepCapacity) {
      std::string().swap(buffer_);
    } else {
      buffer_.clear();
    }
    start_ = 0;
  } else if (start_ >= kKeepCapacity && start_ * 2 >= buffer_.size()) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
}

Result<std::optional<FrontendMessage>> Decoder::next() {
  if (error_) return *error_;
  return phase_ == Phase::kStartup ? next_startup() : next_normal();
}

Result<std::optional<FrontendMessage>> Decoder::next_startup() {
  const std::string_view in = std::string_view(buffer_).substr(start_);
  if (in.size() < 4) return std::optional<FrontendMessage>();
  const std::int32_t len = length_at(in);
  // The smallest packet is a length and a code; checked before waiting for the body.
  if (len < 8 || static_cast<std::size_t>(len) > options_.max_startup_size) {
    return fail(protocol_violation("invalid length of startup packet"));
  }
  const auto size = static_cast<std::size_t>(len);
  if (in.size() < size) return std::optional<FrontendMessage>();
  auto message = internal::parse_startup_packet(in.substr(4, size - 4));
  if (!message) return fail(std::move(message).error());
  consume(size);
  if (std::holds_alternative<SslRequest>(*message) ||
      std::holds_alternative<GssEncRequest>(*message)) {
    if (buffered() != 0) {
      return fail(protocol_violation(std::holds_alternative<SslRequest>(*message)
                                         ? "received unencrypted data after SSL request"
                                         : "received unencrypted data after GSSAPI encryption "
                                           "request"));
    }
  } else if (std::holds_alternative<Startup>(*message)) {
    phase_ = Phase::kNormal;
  }
  return std::optional<FrontendMessage>(std::move(message).value());
}

Result<std::optional<FrontendMessage>> Decoder::next_normal() {
  const std::string_view in = std::string_view(buffer_).substr(start_);
  if (in.empty()) return std::optional<FrontendMessage>();
  const char type = in[0];
  // An unknown type byte fails at once: a stream that is not the protocol (a TLS record,
  // garbage) is not buffered up to a length it never meant.
  if (internal::frontend_type_name(type).empty()) {
    return fail(protocol_violation("invalid frontend message type " +
                                   std::to_string(static_cast<unsigned char>(type))));
  }
  if (in.size() < 5) return std::optional<FrontendMessage>();
  const std::int32_t len = length_at(in.substr(1));
  if (len < 4) return fail(protocol_violation("invalid message length"));
  const std::size_t limit = small_message(type)
                                ? std::min(kSmallMessageLimit, options_.max_message_size)
                                : options_.max_message_size;
  if (static_cast<std::size_t>(len) > limit) {
    return fail(protocol_violation("message of " + std::to_string(len) +
                                   " bytes exceeds the limit of " + std::to_string(limit) +
                                   " bytes"));
  }
  const std::size_t size = 1 + static_cast<std::size_t>(len);
  if (in.size() < size) return std::optional<FrontendMessage>();
  auto message = internal::parse_message(type, in.substr(5, size - 5));
  if (type == 'p') {
    // The payload may be a password: keep no copy of it in the buffer.
    std::memset(buffer_.data() + start_, 0, size);
  }
  if (!message) return fail(std::move(message).error());
  consume(size);
  return std::optional<FrontendMessage>(std::move(message).value());
}

}  // namespace dbvault::server::wire
