#define BOOST_TEST_MODULE storage_vfs
#include <boost/test/unit_test.hpp>
