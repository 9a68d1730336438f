#include "common/secret_string.h"

#include <boost/test/unit_test.hpp>
#include <type_traits>

using namespace dbvault;

BOOST_AUTO_TEST_CASE(secret_string_compares_in_constant_time_semantics) {
  BOOST_TEST(constant_time_equal("abc", "abc"));
  BOOST_TEST(!constant_time_equal("abc", "abd"));
  BOOST_TEST(!constant_time_equal("abc", "abcd"));
  BOOST_TEST(!constant_time_equal("", "a"));
  BOOST_TEST(constant_time_equal("", ""));
  BOOST_TEST((SecretString("pw") == SecretString("pw")));
  BOOST_TEST(!(SecretString("pw") == SecretString("pX")));
}

BOOST_AUTO_TEST_CASE(moved_from_secret_is_empty) {
  SecretString a("vault_secret_2025");
  SecretString b(std::move(a));
  BOOST_TEST(a.empty());  // NOLINT(bugprone-use-after-move): the contract is that it is wiped
  BOOST_TEST(b.reveal() == "vault_secret_2025");
  SecretString c;
  c = std::move(b);
  BOOST_TEST(b.empty());  // NOLINT(bugprone-use-after-move)
  BOOST_TEST(c.reveal() == "vault_secret_2025");
}

BOOST_AUTO_TEST_CASE(wipe_string_zeroes_the_whole_buffer) {
  std::string s(64, 'k');
  const char* data = s.data();
  wipe_string(s);
  BOOST_TEST(s.empty());
  // The buffer is still owned by `s` (clear() keeps capacity), so reading it is defined.
  for (std::size_t i = 0; i < 64; ++i) BOOST_TEST(data[i] == '\0');
}

// A copy of a secret is a second plaintext to wipe: it must be asked for (clone()), never
// made by passing or assigning by value.
BOOST_AUTO_TEST_CASE(secret_string_copies_are_explicit) {
  BOOST_TEST(!std::is_copy_constructible_v<SecretString>);
  BOOST_TEST(!std::is_copy_assignable_v<SecretString>);
  BOOST_TEST(std::is_nothrow_move_constructible_v<SecretString>);
  BOOST_TEST(std::is_nothrow_move_assignable_v<SecretString>);
}

BOOST_AUTO_TEST_CASE(clone_is_an_independent_copy) {
  SecretString a("vault_secret_2025");
  SecretString b = a.clone();
  BOOST_TEST((a == b));
  BOOST_TEST(static_cast<const void*>(a.reveal().data()) !=
             static_cast<const void*>(b.reveal().data()));
  a = SecretString();
  BOOST_TEST(b.reveal() == "vault_secret_2025");
}
