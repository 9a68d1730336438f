#define BOOST_TEST_MODULE common
#include <boost/test/unit_test.hpp>

#include "common/result.h"

using namespace dbvault;

namespace {
Result<int> half(int x) {
  if (x % 2 != 0) return make_error(sqlstate::kInvalidParameterValue, "odd");
  return x / 2;
}
Result<int> quarter(int x) {
  auto h = half(x);
  if (!h) return std::move(h).error();
  return half(*h);
}
Status check_even(int x) {
  DBV_RETURN_IF_ERROR(half(x));
  return ok_status();
}
}  // namespace

BOOST_AUTO_TEST_CASE(result_carries_value_or_error_with_sqlstate) {
  auto ok = quarter(8);
  BOOST_TEST(ok.ok());
  BOOST_TEST(*ok == 2);
  auto bad = quarter(6);
  BOOST_TEST(!bad.ok());
  BOOST_TEST(bad.error().code.code() == "22023");
  BOOST_TEST(bad.error().message == "odd");
}

BOOST_AUTO_TEST_CASE(status_propagates_errors) {
  BOOST_TEST(check_even(4).ok());
  auto s = check_even(3);
  BOOST_TEST(!s.ok());
  BOOST_TEST(s.error().code == sqlstate::kInvalidParameterValue);
}

BOOST_AUTO_TEST_CASE(sqlstate_is_five_characters) {
  BOOST_TEST(sqlstate::kInvalidPassword.code() == "28P01");
  BOOST_TEST(sqlstate::kFeatureNotSupported.code() == "0A000");
  BOOST_TEST(sqlstate::kInvalidPassword.code().size() == 5u);
}
