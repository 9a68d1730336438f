#define BOOST_TEST_MODULE crypto
#include <boost/test/unit_test.hpp>
