// The module's clock: the system clock, or — for the SQL logic tests only — the system clock
// plus an offset in seconds read from a file at every use (`dbvault.test_clock_file`), so that
// the tests of tests/sql/ let grants, tokens and lockouts expire without sleeping, as they do
// with `dbvault serve --test-clock-file` (the same clock: common/file_offset_clock.h).
//
// A file that decides what time it is has no place in production: the setting is honoured
// only when the postmaster's environment has DBVAULT_ALLOW_TEST_CLOCK=1; set without it, the
// vault does not open (58000), so a stray setting is never silently in force.
#pragma once

#include <filesystem>
#include <memory>

#include "common/clock.h"
#include "common/result.h"

namespace dbvault::pgext {

// `test_clock_file` empty: the system clock. Otherwise a FileOffsetClock when the
// environment allows it, else 58000.
Result<std::unique_ptr<Clock>> make_clock(const std::filesystem::path& test_clock_file);

}  // namespace dbvault::pgext
