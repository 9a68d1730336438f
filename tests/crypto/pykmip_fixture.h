// The PyKMIP server of tests/crypto/pykmip_server.h as a Boost.Test fixture, and the suites'
// precondition: pykmip_available() is false (the suite is skipped, with the reason) only when
// PyKMIP is not installed and DBVAULT_TEST_REQUIRE is not 1.
#pragma once

#include <boost/test/unit_test.hpp>

#include "tests/crypto/pykmip_server.h"

namespace dbvault::crypto::test {

boost::test_tools::assertion_result pykmip_available(boost::unit_test::test_unit_id);

}  // namespace dbvault::crypto::test
