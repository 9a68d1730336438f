// base64 as SCRAM uses it (RFC 4648 §4): canonical spellings only.
#include <boost/test/unit_test.hpp>

#include "server/wire/base64.h"

using namespace dbvault::server::wire::internal;

BOOST_AUTO_TEST_SUITE(wire_base64)

BOOST_AUTO_TEST_CASE(rfc4648_vectors_round_trip) {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    const std::vector<std::uint8_t> bytes(plain.begin(), plain.end());
    BOOST_TEST(base64_encode(bytes) == encoded);
    auto decoded = base64_decode(encoded);
    BOOST_REQUIRE(decoded.has_value());
    BOOST_TEST((*decoded == bytes));
  }
  const std::vector<std::uint8_t> all = [] {
    std::vector<std::uint8_t> v;
    for (int i = 0; i < 256; ++i) v.push_back(static_cast<std::uint8_t>(i));
    return v;
  }();
  BOOST_TEST((*base64_decode(base64_encode(all)) == all));
}

BOOST_AUTO_TEST_CASE(non_canonical_or_invalid_text_is_refused) {
  for (std::string_view bad : {"Zg", "Zg=", "Zh==", "Zm9=", "Z===", "====", "Zg==Zg==", "Zm9v\n",
                               " Zm9v", "Zm-v", "Zm_v", "Zm9v====", "Zm=v"}) {
    BOOST_TEST_INFO(bad);
    BOOST_TEST(!base64_decode(bad).has_value());
  }
}

BOOST_AUTO_TEST_SUITE_END()
