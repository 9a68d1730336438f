#define BOOST_TEST_MODULE server_unit_test
#include <boost/test/unit_test.hpp>
