#include "pgext/test_clock.h"

#include <cstdlib>
#include <cstring>
#include <fstream>

#include "common/sqlstate.h"

namespace dbvault::pgext {

TimePoint OffsetFileClock::now() const {
  long long seconds = 0;
  std::ifstream in(file_);
  if (!(in >> seconds)) seconds = 0;
  return system_.now() + std::chrono::seconds(seconds);
}

Result<std::unique_ptr<Clock>> make_clock(const std::filesystem::path& test_clock_file) {
  if (test_clock_file.empty()) return std::unique_ptr<Clock>(std::make_unique<SystemClock>());
  const char* allow = std::getenv("DBVAULT_ALLOW_TEST_CLOCK");
  if (allow == nullptr || std::strcmp(allow, "1") != 0) {
    return make_error(sqlstate::kSystemError,
                      "dbvault.test_clock_file is set but the server's environment does not "
                      "have DBVAULT_ALLOW_TEST_CLOCK=1 (a test clock is for tests only)");
  }
  return std::unique_ptr<Clock>(std::make_unique<OffsetFileClock>(test_clock_file));
}

}  // namespace dbvault::pgext
