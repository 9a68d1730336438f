#include "pgext/test_clock.h"

#include <cstdlib>
#include <cstring>

#include "common/file_offset_clock.h"
#include "common/sqlstate.h"

namespace dbvault::pgext {

Result<std::unique_ptr<Clock>> make_clock(const std::filesystem::path& test_clock_file) {
  if (test_clock_file.empty()) return std::unique_ptr<Clock>(std::make_unique<SystemClock>());
  const char* allow = std::getenv("DBVAULT_ALLOW_TEST_CLOCK");
  if (allow == nullptr || std::strcmp(allow, "1") != 0) {
    return make_error(sqlstate::kSystemError,
                      "dbvault.test_clock_file is set but the server's environment does not "
                      "have DBVAULT_ALLOW_TEST_CLOCK=1 (a test clock is for tests only)");
  }
  return std::unique_ptr<Clock>(std::make_unique<FileOffsetClock>(test_clock_file));
}

}  // namespace dbvault::pgext
