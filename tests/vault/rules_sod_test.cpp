// Command rules (the design document's seed rules, rule sets, CONNECT rules, SIMULATION) and
// the separation-of-duty checks of each built-in role.
#include <boost/test/unit_test.hpp>

#include "tests/vault/vault_fixture.h"

namespace dbvault::vault::test {

using ast::Command;

BOOST_FIXTURE_TEST_SUITE(command_rules, VaultFixture)

BOOST_AUTO_TEST_CASE(deny_from_role_dba_sysadmin) {
  cast();
  Session admin = login("sec_admin");
  Session acct = login("acct");
  ok(acct, "CREATE ROLE sysadmin");
  ok(acct, "CREATE USER ops PASSWORD 'pw-ops'");
  ok(acct, "GRANT sysadmin TO ops");
  ok(admin,
     "CREATE COMMAND RULE no_drop_pii FOR DELETE ON TABLE users DENY FROM ROLE dba, "
     "sysadmin MESSAGE 'PII tables cannot be dropped without approval'");
  Session dba = login("dba_alice");
  auto st = access(dba, Command::kDelete, "users");
  BOOST_TEST_REQUIRE(!st.ok());
  BOOST_TEST(st.error().code.code() == "42501");
  BOOST_TEST(st.error().message == "PII tables cannot be dropped without approval");
  BOOST_TEST(access(dba, Command::kSelect, "users").ok());       // only DELETE
  BOOST_TEST(!access(dba, Command::kDelete, "users.ssn").ok());  // a table rule covers columns
  Session ops = login("ops");
  BOOST_TEST(access(ops, Command::kDelete, "users").error().message.find("PII") == 0U);
  BOOST_TEST(count_events(audit::EventType::kCommandRuleViolation) >= 2U);
  fails(admin, "CREATE COMMAND RULE no_drop_pii FOR DELETE ON TABLE users DENY FROM ROLE dba",
        "42710");
  fails(admin, "CREATE COMMAND RULE r2 FOR DELETE ON TABLE users DENY FROM ROLE nobody", "42704");
  ok(admin, "ALTER COMMAND RULE no_drop_pii DISABLE");
  BOOST_TEST(access(dba, Command::kDelete, "users").ok());
  ok(admin, "ALTER COMMAND RULE no_drop_pii ENABLE");
  ok(admin, "ALTER COMMAND RULE no_drop_pii SET MESSAGE 'ask security'");
  BOOST_TEST(access(dba, Command::kDelete, "users").error().message == "ask security");
  ok(admin, "DROP COMMAND RULE no_drop_pii");
  BOOST_TEST(access(dba, Command::kDelete, "users").ok());
  fails(admin, "DROP COMMAND RULE no_drop_pii", "42704");
}

BOOST_AUTO_TEST_CASE(deny_when_program_name_export_tool) {
  cast();
  Session admin = login("sec_admin");
  ok(admin,
     "CREATE COMMAND RULE no_export_ssn FOR SELECT ON COLUMN users.ssn "
     "DENY WHEN program_name = 'export_tool' "
     "MESSAGE 'SSN export requires security team approval'");
  Session psql = login("bob", "psql");
  Session tool = login("bob", "export_tool");
  BOOST_TEST(access(psql, Command::kSelect, "users.ssn").ok());
  auto st = access(tool, Command::kSelect, "users.ssn");
  BOOST_TEST_REQUIRE(!st.ok());
  BOOST_TEST(st.error().message == "SSN export requires security team approval");
  BOOST_TEST(access(tool, Command::kSelect, "users.name").ok());
}

BOOST_AUTO_TEST_CASE(business_hours_only_and_simulation) {
  cast();
  Session admin = login("sec_admin");
  ok(admin,
     "CREATE COMMAND RULE business_hours_only FOR SELECT ON TABLE financial_records "
     "DENY WHEN HOUR(CURRENT_TIMESTAMP) NOT BETWEEN 9 AND 17 "
     "MESSAGE 'Financial data accessible only during business hours'");
  Session bob = login("bob");
  BOOST_TEST(access(bob, Command::kSelect, "financial_records").ok());  // 12:00 UTC
  clock.advance(std::chrono::hours(8));                                 // 20:00 UTC
  auto st = access(bob, Command::kSelect, "financial_records");
  BOOST_TEST_REQUIRE(!st.ok());
  BOOST_TEST(st.error().message == "Financial data accessible only during business hours");
  ok(admin, "ALTER COMMAND RULE business_hours_only SET SIMULATION");
  sink.clear();
  BOOST_TEST(access(bob, Command::kSelect, "financial_records").ok());
  BOOST_TEST(count_events(audit::EventType::kCommandRuleViolation) == 1U);
}

BOOST_AUTO_TEST_CASE(rule_sets_and_realm_targets_and_connect_rules) {
  cast();
  Session admin = login("sec_admin");
  ok(admin, "CREATE REALM fin");
  ok(admin, "ALTER REALM fin ADD TABLE financial_records");
  ok(admin, "ALTER REALM fin AUTHORIZE USER bob");
  ok(admin, "CREATE RULE SET office ALL (tls, IN_CIDR(client_ip, '10.0.0.0/8'))");
  fails(admin, "CREATE RULE SET office ANY (tls)", "42710");
  ok(admin,
     "CREATE COMMAND RULE fin_office FOR ALL ON REALM fin "
     "ALLOW ONLY WHEN RULE_SET('office') MESSAGE 'office only'");
  fails(admin, "CREATE COMMAND RULE bad FOR SELECT ON ANY DENY WHEN RULE_SET('missing')", "42704");
  Session bob = login("bob");
  BOOST_TEST(access(bob, Command::kSelect, "financial_records").ok());  // 10.0.5.42, TLS
  ok(admin,
     "CREATE COMMAND RULE no_weekend_bob FOR CONNECT ON ANY DENY FROM USER bob "
     "WHEN DAY_OF_WEEK(CURRENT_TIMESTAMP) IN (6, 7) MESSAGE 'weekdays only'");
  clock.advance(std::chrono::hours(24 * 5));  // Saturday
  auto s = vault->login("bob", SessionInfo{});
  BOOST_TEST_REQUIRE(!s.ok());
  BOOST_TEST(s.error().message == "weekdays only");
  // A rule that stops compiling (its rule set dropped) fails closed.
  ok(admin, "DROP RULE SET office");
  BOOST_TEST(!vault->snapshot()->compile_errors().empty());
  Session dba = login("dba_alice");
  BOOST_TEST(!access(dba, Command::kSelect, "users").ok());
}

// A session remembers the rule verdicts it earned (rules/verdict_memo.h); a policy change, an
// unlock, an unlock's expiry or the hour changing must each make it check the rules again.
BOOST_AUTO_TEST_CASE(remembered_verdicts_follow_policy_unlocks_and_time) {
  cast();
  Session admin = login("sec_admin");
  ok(admin, "CREATE REALM fin REQUIRE VAULT PASSWORD 'fin-secret-2025'");
  ok(admin, "ALTER REALM fin ADD TABLE financial_records");
  ok(admin, "CREATE REALM hr");
  ok(admin, "ALTER REALM hr ADD TABLE users");
  ok(admin, "ALTER REALM hr AUTHORIZE USER bob");
  Session bob = login("bob");
  for (int i = 0; i < 3; ++i) BOOST_TEST(access(bob, Command::kSelect, "users.ssn").ok());
  ok(admin, "CREATE COMMAND RULE no_psql FOR SELECT ON REALM hr DENY WHEN program_name = 'psql'");
  BOOST_TEST(access(bob, Command::kSelect, "users.ssn").error().code.code() == "42501");
  ok(admin, "ALTER COMMAND RULE no_psql DISABLE");
  BOOST_TEST(access(bob, Command::kSelect, "users.ssn").ok());
  // REALM_UNLOCKED: bob's users access depends on his unlock of fin.
  ok(admin,
     "CREATE COMMAND RULE hr_after_fin FOR SELECT ON TABLE users "
     "ALLOW ONLY WHEN REALM_UNLOCKED('fin') MESSAGE 'unlock fin first'");
  BOOST_TEST(access(bob, Command::kSelect, "users").error().message == "unlock fin first");
  ok(bob, "UNLOCK REALM fin PASSWORD 'fin-secret-2025'");
  BOOST_TEST(access(bob, Command::kSelect, "users").ok());
  BOOST_TEST(access(bob, Command::kSelect, "users").ok());
  clock.advance(std::chrono::hours(2));  // the 1-hour token has expired
  BOOST_TEST(access(bob, Command::kSelect, "users").error().message == "unlock fin first");
  ok(admin, "DROP COMMAND RULE hr_after_fin");
  // HOUR(): allowed until the hour turns, in the same session and generation.
  ok(admin,
     "CREATE COMMAND RULE day_only FOR SELECT ON REALM hr "
     "DENY WHEN HOUR(CURRENT_TIMESTAMP) >= 15");  // it is 14:00
  BOOST_TEST(access(bob, Command::kSelect, "users.name").ok());
  BOOST_TEST(access(bob, Command::kSelect, "users.name").ok());
  clock.advance(std::chrono::minutes(59));
  BOOST_TEST(access(bob, Command::kSelect, "users.name").ok());
  clock.advance(std::chrono::minutes(1));
  BOOST_TEST(!access(bob, Command::kSelect, "users.name").ok());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(separation_of_duties, VaultFixture)

BOOST_AUTO_TEST_CASE(each_role_is_confined) {
  cast();
  Session admin2 = login("admin2");  // VAULT_ADMIN only
  sink.clear();
  fails(admin2, "CREATE USER eve PASSWORD 'x'", "42501");
  fails(admin2, "GRANT SELECT ON users TO admin2", "42501");
  fails(admin2, "GRANT DBA TO admin2", "42501");
  BOOST_TEST(!access(admin2, Command::kCreate, "users").ok());  // no DDL
  BOOST_TEST(!access(admin2, Command::kSelect, "users").ok());  // no data
  ok(admin2, "CREATE REALM a2");
  ok(admin2, "GRANT AUDIT_VIEWER TO bob");

  Session dba = login("dba_alice");  // DBA only
  fails(dba, "CREATE USER eve PASSWORD 'x'", "42501");
  fails(dba, "CREATE REALM d", "42501");
  fails(dba, "CREATE COMMAND RULE r FOR SELECT ON ANY DENY FROM USER bob", "42501");
  fails(dba, "GRANT VAULT_ADMIN TO dba_alice", "42501");
  fails(dba, "GRANT AUDIT_VIEWER TO dba_alice", "42501");
  fails(dba, "ALTER DATABASE DISABLE DATABASE VAULT", "42501");
  ok(dba, "GRANT SELECT, INSERT ON financial_records TO carol");
  BOOST_TEST(access(dba, Command::kDrop, "users").ok());  // DDL: DBA bypasses RBAC

  Session acct = login("acct");  // ACCOUNT_MANAGER only
  ok(acct, "CREATE USER eve PASSWORD 'x'");
  ok(acct, "ALTER USER eve PASSWORD 'y'");
  fails(acct, "CREATE REALM e", "42501");
  fails(acct, "GRANT SELECT ON users TO eve", "42501");
  fails(acct, "GRANT VAULT_ADMIN TO acct", "42501");
  ok(acct, "DROP USER eve");

  Session carol = login("carol");  // AUDIT_VIEWER only
  fails(carol, "CREATE REALM c", "42501");
  fails(carol, "CREATE USER eve PASSWORD 'x'", "42501");
  fails(carol, "GRANT SELECT ON users TO carol", "42501");
  fails(carol, "CREATE COMMAND RULE r FOR SELECT ON ANY DENY FROM USER bob", "42501");
  fails(carol, "DROP ROLE dba", "42501");
  BOOST_TEST(!access(carol, Command::kDelete, "users").ok());

  // Built-in roles cannot be dropped, even by those who manage roles.
  fails(acct, "DROP ROLE dba", "42501");
  BOOST_TEST(count_events(audit::EventType::kSodViolation) >= 15U);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::vault::test
