// Issue 9 item 11: every change that takes access away ends the live unlocks it no longer
// justifies on the next statement of every session, and revokes their tokens.
#include <boost/test/unit_test.hpp>

#include "common/sqlite_db.h"
#include "tests/vault/vault_fixture.h"

namespace dbvault::vault::test {

using ast::Command;

namespace {

// Realm pii (password 'Realm-Pw-1') over table users, authorizing bob and carol.
void pii_for_bob_and_carol(VaultFixture& f) {
  f.cast();
  Session admin = f.login("sec_admin");
  f.ok(admin, "CREATE REALM pii REQUIRE VAULT PASSWORD 'Realm-Pw-1'");
  f.ok(admin, "ALTER REALM pii ADD TABLE users");
  f.ok(admin, "ALTER REALM pii AUTHORIZE USER bob");
  f.ok(admin, "ALTER REALM pii AUTHORIZE USER carol");
}

// Realm pii over table users, authorizing role analysts (held by bob) and, when
// `carol_too`, user carol.
void pii_for_analysts(VaultFixture& f, bool carol_too) {
  f.cast();
  Session admin = f.login("sec_admin");
  Session acct = f.login("acct");
  f.ok(acct, "CREATE ROLE analysts");
  f.ok(acct, "GRANT analysts TO bob");
  f.ok(admin, "CREATE REALM pii REQUIRE VAULT PASSWORD 'Realm-Pw-1'");
  f.ok(admin, "ALTER REALM pii ADD TABLE users");
  f.ok(admin, "ALTER REALM pii AUTHORIZE ROLE analysts");
  if (carol_too) f.ok(admin, "ALTER REALM pii AUTHORIZE USER carol");
}

std::string unlock(VaultFixture& f, Session& s, std::string_view password) {
  auto r = f.ok(s, "UNLOCK REALM pii PASSWORD '" + std::string(password) + "'");
  return r.rows.at(0).at(1);
}

// Writes to policy.db behind the vault's back (an attacker, or a bug, un-revoking tokens).
void unrevoke_all_tokens(const std::filesystem::path& policy_db) {
  auto db = sqlite::Database::open(policy_db, {"test", true});
  BOOST_TEST_REQUIRE(db.ok());
  BOOST_TEST_REQUIRE(db->run("UPDATE vault_tokens SET revoked = 0").ok());
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(stale_unlocks, VaultFixture)

BOOST_AUTO_TEST_CASE(unauthorize_ends_the_live_unlock_and_revokes_its_token) {
  pii_for_bob_and_carol(*this);
  Session admin = login("sec_admin");
  Session bob = login("bob");
  const std::string token = unlock(*this, bob, "Realm-Pw-1");
  BOOST_TEST_REQUIRE(access(bob, Command::kSelect, "users").ok());
  ok(admin, "ALTER REALM pii UNAUTHORIZE USER bob");
  auto st = access(bob, Command::kSelect, "users");  // the very next statement
  BOOST_TEST_REQUIRE(!st.ok());
  BOOST_TEST(st.error().code.code() == "42501");
  Session pooled = login("bob");
  fails(pooled, "UNLOCK REALM pii TOKEN '" + token + "'", "42501");  // not authorized
}

BOOST_AUTO_TEST_CASE(unauthorizing_the_last_principal_still_revokes_the_token) {
  cast();
  Session admin = login("sec_admin");
  ok(admin, "CREATE REALM pii REQUIRE VAULT PASSWORD 'Realm-Pw-1'");
  ok(admin, "ALTER REALM pii ADD TABLE users");
  ok(admin, "ALTER REALM pii AUTHORIZE USER bob");
  Session bob = login("bob");
  const std::string token = unlock(*this, bob, "Realm-Pw-1");
  ok(admin, "ALTER REALM pii UNAUTHORIZE USER bob");
  BOOST_TEST(!access(bob, Command::kSelect, "users").ok());
  Session pooled = login("bob");
  fails(pooled, "UNLOCK REALM pii TOKEN '" + token + "'", "28P01");
}

BOOST_AUTO_TEST_CASE(unauthorize_of_a_role_ends_its_members_unlocks) {
  pii_for_analysts(*this, /*carol_too=*/true);
  Session admin = login("sec_admin");
  Session bob = login("bob");
  const std::string token = unlock(*this, bob, "Realm-Pw-1");
  BOOST_TEST_REQUIRE(access(bob, Command::kSelect, "users").ok());
  ok(admin, "ALTER REALM pii UNAUTHORIZE ROLE analysts");
  BOOST_TEST(!access(bob, Command::kSelect, "users").ok());
  Session pooled = login("bob");
  fails(pooled, "UNLOCK REALM pii TOKEN '" + token + "'", "42501");
}

BOOST_AUTO_TEST_CASE(losing_the_role_that_authorized_an_unlock_ends_it) {
  pii_for_analysts(*this, /*carol_too=*/false);
  Session acct = login("acct");
  Session bob = login("bob");
  unlock(*this, bob, "Realm-Pw-1");
  BOOST_TEST_REQUIRE(access(bob, Command::kSelect, "users").ok());
  ok(acct, "REVOKE analysts FROM bob");
  BOOST_TEST(!access(bob, Command::kSelect, "users").ok());
}

BOOST_AUTO_TEST_CASE(set_vault_password_ends_unlocks_by_the_old_password) {
  pii_for_bob_and_carol(*this);
  Session admin = login("sec_admin");
  Session bob = login("bob");
  Session carol = login("carol");
  Session dba = login("dba_alice");
  ok(admin, "ALTER REALM pii AUTHORIZE USER dba_alice");  // a GRANT on a realm table
  unlock(*this, dba, "Realm-Pw-1");                        // needs the realm
  ok(dba, "GRANT SELECT ON users TO carol");
  ok(admin, "ALTER REALM pii UNAUTHORIZE USER dba_alice");
  const std::string token = unlock(*this, bob, "Realm-Pw-1");
  auto g = ok(admin, "GRANT VAULT PASSWORD ON REALM pii TO carol VALID FOR '1 hour'");
  ok(carol, "UNLOCK REALM pii PASSWORD '" + g.rows.at(0).at(2) + "'");
  ok(admin, "ALTER REALM pii SET VAULT PASSWORD 'Realm-Pw-2'");
  BOOST_TEST(!access(bob, Command::kSelect, "users").ok());
  BOOST_TEST(access(carol, Command::kSelect, "users").ok());  // her grant is not the password
  Session pooled = login("bob");
  fails(pooled, "UNLOCK REALM pii TOKEN '" + token + "'", "28P01");
  unlock(*this, pooled, "Realm-Pw-2");
  BOOST_TEST(access(pooled, Command::kSelect, "users").ok());
}

// The generation check does not rest on the revocation alone: a token of an older password
// fails its MAC even when its record says it is live.
BOOST_AUTO_TEST_CASE(a_token_of_an_older_password_is_refused_even_unrevoked) {
  pii_for_bob_and_carol(*this);
  Session admin = login("sec_admin");
  Session bob = login("bob");
  const std::string token = unlock(*this, bob, "Realm-Pw-1");
  ok(admin, "ALTER REALM pii SET VAULT PASSWORD 'Realm-Pw-1'");  // same text, new generation
  unrevoke_all_tokens(dir / "policy.db");
  Session pooled = login("bob");
  fails(pooled, "UNLOCK REALM pii TOKEN '" + token + "'", "28P01");
}

BOOST_AUTO_TEST_CASE(a_token_of_a_revoked_grant_is_refused_even_unrevoked) {
  pii_for_bob_and_carol(*this);
  Session admin = login("sec_admin");
  Session bob = login("bob");
  auto g = ok(admin, "GRANT VAULT PASSWORD ON REALM pii TO bob VALID FOR '1 hour'");
  const std::string token = unlock(*this, bob, g.rows.at(0).at(2));
  ok(admin, "REVOKE VAULT PASSWORD ON REALM pii FROM bob");
  unrevoke_all_tokens(dir / "policy.db");
  Session pooled = login("bob");
  fails(pooled, "UNLOCK REALM pii TOKEN '" + token + "'", "28P01");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::vault::test
