#include "server/session/connection_io.h"

namespace dbvault::server::session {

ConnectionIo::Next ConnectionIo::next(std::optional<std::chrono::milliseconds> timeout) {
  for (;;) {
    auto m = decoder_.next();
    if (!m) return {Event::kError, std::nullopt, std::move(m).error()};
    if (*m) return {Event::kMessage, std::move(**m), std::nullopt};
    std::string bytes;
    switch (stream_.read_some(bytes, 1 << 16, timeout)) {
      case net::Stream::ReadStatus::kTimeout:
        return {Event::kTimeout, std::nullopt, std::nullopt};
      case net::Stream::ReadStatus::kClosed:
        return {Event::kClosed, std::nullopt, std::nullopt};
      case net::Stream::ReadStatus::kData:
        decoder_.feed(bytes);
        break;
    }
  }
}

bool ConnectionIo::more_pending() { return decoder_.buffered() > 0 || stream_.readable_now(); }

bool ConnectionIo::flush() {
  if (out_.empty()) return true;
  const bool ok = stream_.write_all(out_);
  out_.clear();
  return ok;
}

void ConnectionIo::error(const Error& e, std::string_view severity) {
  wire::append_error_response(out_, wire::error_fields(e, severity));
}

}  // namespace dbvault::server::session
