#define BOOST_TEST_MODULE storage_backup
#include <boost/test/unit_test.hpp>
