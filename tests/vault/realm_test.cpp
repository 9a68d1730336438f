// Realms: MANDATORY / REGULAR / SIMULATION / DISABLED, password realms and authorizations.
#include <boost/test/unit_test.hpp>

#include "tests/vault/vault_fixture.h"

namespace dbvault::vault::test {

using ast::Command;

BOOST_FIXTURE_TEST_SUITE(realms, VaultFixture)

BOOST_AUTO_TEST_CASE(dba_denied_until_unlock_then_allowed) {
  cast();
  Session admin = login("sec_admin");
  Session dba = login("dba_alice");
  BOOST_TEST(access(dba, Command::kSelect, "users").ok());  // no realm yet: DBA bypasses RBAC
  ok(admin,
     "CREATE REALM pii_protection DESCRIPTION 'PII' REQUIRE VAULT PASSWORD "
     "'vault_secret_2025'");
  ok(admin, "ALTER REALM pii_protection ADD TABLE users");
  auto denied = access(dba, Command::kSelect, "users");
  BOOST_TEST_REQUIRE(!denied.ok());
  BOOST_TEST(denied.error().code.code() == "42501");
  BOOST_TEST(denied.error().message.find("pii_protection") != std::string::npos);
  // Columns of a protected table are protected too; other tables are not.
  BOOST_TEST(!access(dba, Command::kSelect, "users.ssn").ok());
  BOOST_TEST(access(dba, Command::kSelect, "financial_records").ok());

  fails(dba, "UNLOCK REALM pii_protection PASSWORD 'wrong'", "28P01");
  auto r = ok(dba, "UNLOCK REALM pii_protection PASSWORD 'vault_secret_2025'");
  BOOST_TEST_REQUIRE(r.rows.size() == 1U);
  BOOST_TEST(r.rows[0][1].starts_with("dbvt2.vt_"));
  BOOST_TEST(r.rows[0][3] == "2025-10-13T13:00:00Z");  // default lifetime: 1 hour
  BOOST_TEST(access(dba, Command::kSelect, "users").ok());
  BOOST_TEST(access(dba, Command::kSelect, "users.ssn").ok());

  ok(dba, "LOCK REALM pii_protection");
  BOOST_TEST(!access(dba, Command::kSelect, "users").ok());
  ok(dba, "UNLOCK REALM pii_protection PASSWORD 'vault_secret_2025'");
  clock.advance(std::chrono::minutes(61));  // the unlock expired: locked again, no sweeper
  BOOST_TEST(!access(dba, Command::kSelect, "users").ok());
}

BOOST_AUTO_TEST_CASE(mandatory_blocks_owner_regular_exempts_owner) {
  cast();
  Session admin = login("sec_admin");
  Session bob = login("bob");  // owns users and financial_records, holds SELECT
  ok(admin, "CREATE REALM m MANDATORY");
  ok(admin, "ALTER REALM m ADD TABLE users");
  ok(admin, "CREATE REALM r REGULAR");
  ok(admin, "ALTER REALM r ADD TABLE financial_records");
  BOOST_TEST(access(bob, Command::kSelect, "users").error().code.code() == "42501");
  BOOST_TEST(access(bob, Command::kSelect, "financial_records").ok());
  Session dba = login("dba_alice");  // not the owner: REGULAR still blocks
  BOOST_TEST(!access(dba, Command::kSelect, "financial_records").ok());
  // Authorization admits a participant (who still needs RBAC privileges).
  ok(admin, "ALTER REALM m AUTHORIZE USER bob");
  BOOST_TEST(access(bob, Command::kSelect, "users").ok());
  ok(admin, "ALTER REALM m AUTHORIZE USER carol");
  Session carol = login("carol");
  BOOST_TEST(!access(carol, Command::kSelect, "users").ok());  // admitted, but no RBAC grant
  ok(admin, "ALTER REALM m UNAUTHORIZE USER bob");
  BOOST_TEST(!access(bob, Command::kSelect, "users").ok());
  // Authorizing a role admits its members.
  Session dba_again = login("dba_alice");
  ok(admin, "ALTER REALM m AUTHORIZE ROLE dba");
  BOOST_TEST(access(dba_again, Command::kSelect, "users").ok());
  // Revoking the role takes effect on the session's next statement.
  Session acct = login("acct");
  ok(acct, "REVOKE DBA FROM dba_alice");
  BOOST_TEST(!access(dba_again, Command::kSelect, "users").ok());
  ok(acct, "GRANT DBA TO dba_alice");
  BOOST_TEST(access(dba_again, Command::kSelect, "users").ok());
  ok(admin, "ALTER REALM m SET DISABLED");
  BOOST_TEST(access(carol, Command::kSelect, "financial_records").ok() == false);  // RBAC
  BOOST_TEST(access(bob, Command::kSelect, "users").ok());  // realm off, bob owns users
}

BOOST_AUTO_TEST_CASE(denial_events_carry_the_statement_without_literals) {
  cast();
  Session admin = login("sec_admin");
  ok(admin, "CREATE REALM m");
  ok(admin, "ALTER REALM m ADD TABLE users");
  Session dba = login("dba_alice");
  auto id = *vault->snapshot()->find_object({{"", "users"}, ""});
  std::vector<Access> a{{Command::kSelect, id}};
  sink.clear();
  BOOST_TEST(!vault->check(dba, a, "SELECT * FROM users WHERE ssn = '123-45-6789'").ok());
  const std::string json = events_json();
  BOOST_TEST(json.find("SELECT * FROM users WHERE ssn = ?") != std::string::npos);
  BOOST_TEST(json.find("123-45-6789") == std::string::npos);
  BOOST_TEST(json.find("\"check\":\"realm\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(simulation_allows_and_audits_disabled_protects_nothing) {
  cast();
  Session admin = login("sec_admin");
  Session dba = login("dba_alice");
  ok(admin, "CREATE REALM trial SIMULATION");
  ok(admin, "ALTER REALM trial ADD COLUMN users.ssn");
  sink.clear();
  auto d = vault->decide(
      dba, std::vector<Access>{
               {Command::kSelect, *vault->snapshot()->find_object({{"", "users"}, "ssn"})}});
  BOOST_TEST(d.allowed());
  BOOST_TEST(static_cast<int>(d.verdict) ==
             static_cast<int>(Decision::Verdict::kAllowWithSimulatedDenials));
  BOOST_TEST(access(dba, Command::kSelect, "users.ssn").ok());
  BOOST_TEST(access(dba, Command::kSelect, "users.name").ok());  // other columns: not in realm
  BOOST_TEST(count_events(audit::EventType::kCommandRuleViolation) == 1U);
  BOOST_TEST(events_json().find("\"simulated\":true") != std::string::npos);

  ok(admin, "ALTER REALM trial SET ENABLED");
  BOOST_TEST(!access(dba, Command::kSelect, "users.ssn").ok());
  ok(admin, "ALTER REALM trial SET DISABLED");
  BOOST_TEST(access(dba, Command::kSelect, "users.ssn").ok());
}

BOOST_AUTO_TEST_CASE(disable_database_vault_turns_realms_off_but_not_rbac) {
  cast();
  Session admin = login("sec_admin");
  Session dba = login("dba_alice");
  Session carol = login("carol");
  ok(admin, "CREATE REALM m");
  ok(admin, "ALTER REALM m ADD TABLE users");
  BOOST_TEST(!access(dba, Command::kSelect, "users").ok());
  fails(dba, "ALTER DATABASE DISABLE DATABASE VAULT", "42501");
  ok(admin, "ALTER DATABASE DISABLE DATABASE VAULT");
  BOOST_TEST(access(dba, Command::kSelect, "users").ok());
  BOOST_TEST(!access(carol, Command::kSelect, "users").ok());  // RBAC still applies
  ok(admin, "ALTER DATABASE ENABLE DATABASE VAULT");
  BOOST_TEST(!access(dba, Command::kSelect, "users").ok());
}

BOOST_AUTO_TEST_CASE(realm_statement_errors) {
  cast();
  Session admin = login("sec_admin");
  ok(admin, "CREATE REALM m OWNER bob");
  fails(admin, "CREATE REALM m", "42710");
  fails(admin, "ALTER REALM nope ADD TABLE users", "42704");
  fails(admin, "CREATE REALM x OWNER nobody", "42704");
  fails(admin, "DROP REALM nope", "42704");
  ok(admin, "DROP REALM IF EXISTS nope");
  // The realm owner manages membership and passwords, but not the realm's state.
  Session bob = login("bob");
  ok(bob, "ALTER REALM m ADD TABLE financial_records");
  ok(bob, "ALTER REALM m SET VAULT PASSWORD 'owner-set'");
  fails(bob, "ALTER REALM m SET DISABLED", "42501");
  fails(bob, "DROP REALM m", "42501");
  ok(admin, "DROP REALM m");
  Session dba = login("dba_alice");
  BOOST_TEST(access(dba, Command::kSelect, "financial_records").ok());
}

BOOST_AUTO_TEST_CASE(authorizations_restrict_who_may_unlock) {
  cast();
  Session admin = login("sec_admin");
  ok(admin, "CREATE REALM fin REQUIRE VAULT PASSWORD 'fin-pw'");
  ok(admin, "ALTER REALM fin ADD TABLE financial_records");
  ok(admin, "ALTER REALM fin AUTHORIZE USER bob");
  Session dba = login("dba_alice");
  fails(dba, "UNLOCK REALM fin PASSWORD 'fin-pw'", "42501");
  Session bob = login("bob");
  // Authorized, but a password realm still needs the unlock.
  BOOST_TEST(!access(bob, Command::kSelect, "financial_records").ok());
  ok(bob, "UNLOCK REALM fin PASSWORD 'fin-pw'");
  BOOST_TEST(access(bob, Command::kSelect, "financial_records").ok());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::vault::test
