#define BOOST_TEST_MODULE kmip
#include <boost/test/unit_test.hpp>
