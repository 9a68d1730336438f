// Issue 9 item 16: the cost of UNLOCK ... PASSWORD does not depend on whether the user holds a
// temporary grant or the realm has a password; a token's secret part is kept as a secret.
#include <boost/test/unit_test.hpp>
#include <type_traits>

#include "crypto/password_hash.h"
#include "tests/vault/vault_fixture.h"
#include "vault/credentials.h"

namespace dbvault::vault::test {

namespace {

// The Argon2 runs of one statement that must fail with `code`.
std::uint64_t kdf_runs_of_failing(VaultFixture& f, Session& s, std::string_view sql,
                                  std::string_view code) {
  const auto before = crypto::password_kdf_runs();
  f.fails(s, sql, code);
  return crypto::password_kdf_runs() - before;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(secret_hygiene, VaultFixture)

BOOST_AUTO_TEST_CASE(unlock_costs_the_same_kdf_runs_with_or_without_a_grant) {
  cast();
  Session admin = login("sec_admin");
  ok(admin, "CREATE REALM pii REQUIRE VAULT PASSWORD 'Realm-Pw-1'");
  ok(admin, "CREATE REALM nopw REQUIRE VAULT PASSWORD");
  Session bob = login("bob");
  Session carol = login("carol");
  const std::string wrong = "UNLOCK REALM pii PASSWORD 'guess'";
  kdf_runs_of_failing(*this, carol, wrong, "28P01");  // warm-up (the dummy hash is made once)
  const auto without_grant = kdf_runs_of_failing(*this, bob, wrong, "28P01");
  ok(admin, "GRANT VAULT PASSWORD ON REALM pii TO bob VALID FOR '1 hour'");
  const auto with_grant = kdf_runs_of_failing(*this, bob, wrong, "28P01");
  const auto no_password =
      kdf_runs_of_failing(*this, bob, "UNLOCK REALM nopw PASSWORD 'guess'", "28P01");
  ok(admin, "GRANT VAULT PASSWORD ON REALM nopw TO bob VALID FOR '1 hour'");
  const auto only_grant =
      kdf_runs_of_failing(*this, bob, "UNLOCK REALM nopw PASSWORD 'guess'", "28P01");
  BOOST_TEST(without_grant == with_grant);
  BOOST_TEST(without_grant == no_password);
  BOOST_TEST(without_grant == only_grant);
  BOOST_TEST(without_grant >= 1u);
}

BOOST_AUTO_TEST_CASE(a_parsed_tokens_mac_is_a_secret) {
  BOOST_TEST((std::is_same_v<decltype(TokenParts::mac), SecretString>));
}

BOOST_AUTO_TEST_CASE(token_mac_accepts_only_its_own_mac) {
  std::vector<std::uint8_t> root(32, 0x17);
  auto mac = TokenMac::create(crypto::SecretBytes::copy_of(root));
  BOOST_TEST_REQUIRE(mac.ok());
  const TokenMac::Claims claims{"bob", "pii", 1'000'000, "gen-1"};
  auto token = mac->issue("vt_0123456789abcdef01234567", claims);
  BOOST_TEST_REQUIRE(token.ok());
  auto parts = parse_token(token->reveal());
  BOOST_TEST_REQUIRE(parts.ok());
  BOOST_TEST(mac->verify(*parts, claims));
  for (const TokenMac::Claims& other : {TokenMac::Claims{"eve", "pii", 1'000'000, "gen-1"},
                                        TokenMac::Claims{"bob", "hr", 1'000'000, "gen-1"},
                                        TokenMac::Claims{"bob", "pii", 1'000'001, "gen-1"},
                                        TokenMac::Claims{"bob", "pii", 1'000'000, "gen-2"}}) {
    BOOST_TEST(!mac->verify(*parts, other));
  }
  std::string text(token->reveal());
  for (const std::string& bad : {text.substr(0, text.size() - 1), text + "A",
                                 text.substr(0, text.size() - 1) + (text.back() == 'A' ? "B" : "A"),
                                 text.substr(0, text.rfind('.') + 1) + std::string(43, '!')}) {
    auto p = parse_token(bad);
    BOOST_TEST((!p.ok() || !mac->verify(*p, claims)), bad);
  }
  wipe_string(text);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::vault::test
