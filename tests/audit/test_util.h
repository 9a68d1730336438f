// Helpers shared by the audit test suites: temp directories, fixed keys, one sample event per
// type, and a fixture with an open Log on a ManualClock.
#pragma once

#include "tests/support/temp_dir.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "audit/log.h"
#include "common/clock.h"

namespace dbvault::audit {
inline std::ostream& operator<<(std::ostream& os, EventType t) { return os << event_type_name(t); }
}  // namespace dbvault::audit

namespace dbvault::audit::test {

using dbvault::test::TempDir;  // tests/support/temp_dir.h

// Keys derived from a fixed test TEK (`variant` gives another TEK).
AuditKeys test_keys(int variant = 0);
// 2025-10-11T04:30:00Z
TimePoint test_start();
// One valid event of `type` with recognisable field values (user "user_<n>", ...).
Event sample_event(EventType type, int n = 0);
// Reads a whole file.
std::vector<std::uint8_t> read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes);
// Every record of the store, in seq order (fails the test on a scan error).
std::vector<Record> all_records(const Log& log);

struct LogFixture {
  LogFixture();
  ~LogFixture();
  LogOptions options() const;
  void reopen();
  TempDir tmp{"audit"};
  ManualClock clock{test_start()};
  std::unique_ptr<Log> log;
};

}  // namespace dbvault::audit::test
