// FileOffsetClock: the system clock plus an offset in seconds read from a file on every call —
// so the over-the-wire tests can move time forward (token and grant expiry, business-hours
// rules) without sleeping. `dbvault serve --test-clock-file F` and the PostgreSQL module's
// `dbvault.test_clock_file` (pgext/test_clock.h) use it only when the environment has
// DBVAULT_ALLOW_TEST_CLOCK=1: a production server never lets a file decide what time it is.
// The file holds one integer; an unreadable or malformed file counts as offset 0.
//
// Thread-safety: now() may be called from any thread.
#pragma once

#include <filesystem>

#include "common/clock.h"

namespace dbvault {

class FileOffsetClock final : public Clock {
 public:
  explicit FileOffsetClock(std::filesystem::path file) : file_(std::move(file)) {}
  TimePoint now() const override;

 private:
  std::filesystem::path file_;
  SystemClock system_;
};

}  // namespace dbvault
