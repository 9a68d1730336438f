// Helpers shared by the audit test suites: temp directories, fixed keys, one sample event per
// type, and a fixture with an open Log on a ManualClock.
#pragma once

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
#include "tests/support/temp_dir.h"

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
// A frame of a segment file, located without any key from its header (docs/audit.md §4).
struct FrameLoc {
  std::size_t offset;
  std::size_t size;
  std::uint64_t seq;
};
std::vector<FrameLoc> frames_of(const std::vector<std::uint8_t>& segment_bytes);
// The seg-*.log files of an audit directory, by name (= by first seq).
std::vector<std::filesystem::path> segment_files(const std::filesystem::path& audit_dir);
// The Log of a data directory as a server opens it: the MEK from the env provider (the caller
// sets DBVAULT_MASTER_KEY_HEX/_ID), the audit TEK from <data_dir>/keys, the store in
// <data_dir>/audit; `create` makes the TEK and the store (as `dbvault init`).
std::unique_ptr<Log> open_data_dir_log(const std::filesystem::path& data_dir, const Clock& clock,
                                       bool create);
// Every record of the store, in seq order (fails the test on a scan error).
std::vector<Record> all_records(const Log& log);

// A store created in a fresh temp dir; options() and reopen() do not create (as a server).
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
