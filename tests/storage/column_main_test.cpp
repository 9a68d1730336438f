#define BOOST_TEST_MODULE storage_column
#include <boost/test/unit_test.hpp>
