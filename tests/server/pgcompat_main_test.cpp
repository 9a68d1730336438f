#define BOOST_TEST_MODULE pgcompat
#include <boost/test/unit_test.hpp>
