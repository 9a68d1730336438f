#include "tests/crypto/pykmip_fixture.h"

#include <cstdlib>
#include <string>

namespace dbvault::crypto::test {

boost::test_tools::assertion_result pykmip_available(boost::unit_test::test_unit_id) {
  const char* require = std::getenv("DBVAULT_TEST_REQUIRE");
  if (require != nullptr && std::string(require) == "1") return true;  // fail, not skip
  boost::test_tools::assertion_result r(pykmip_installed());
  r.message() << "pykmip-server is not installed (python3-pykmip; scripts/setup installs it)";
  return r;
}

}  // namespace dbvault::crypto::test
