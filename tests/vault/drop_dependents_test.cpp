// Dropping a user or role that command rules name (issue 9 item 12): refused with 2BP01 and
// the rules listed, unless CASCADE is given; then the rules fail closed and the drop is
// audited with them.
#include <boost/test/unit_test.hpp>

#include "tests/vault/vault_fixture.h"

namespace dbvault::vault::test {

using ast::Command;

namespace {

struct DependentsFixture : VaultFixture {
  DependentsFixture() {
    cast();
    Session acct = login("acct");
    ok(acct, "CREATE ROLE sysadmin");
    ok(acct, "CREATE ROLE night_shift");
    ok(acct, "CREATE ROLE unused");
    ok(acct, "CREATE USER eve PASSWORD 'pw-eve'");
    ok(acct, "CREATE USER temp PASSWORD 'pw-temp'");
    Session admin = login("sec_admin");
    ok(admin, "CREATE COMMAND RULE no_eve FOR DELETE ON TABLE users DENY FROM USER eve");
    ok(admin, "CREATE COMMAND RULE no_sys FOR DELETE ON TABLE users DENY FROM ROLE sysadmin");
    ok(admin, "CREATE RULE SET nights ANY (HAS_ROLE('night_shift'), NOT tls)");
    ok(admin,
       "CREATE COMMAND RULE fin_nights FOR SELECT ON TABLE financial_records "
       "DENY WHEN RULE_SET('nights')");
    ok(admin,
       "CREATE COMMAND RULE both FOR UPDATE ON ANY "
       "DENY WHEN HAS_ROLE('sysadmin') AND program_name = 'x'");
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(drop_dependents, DependentsFixture)

BOOST_AUTO_TEST_CASE(refused_while_rules_name_it) {
  Session acct = login("acct");
  auto e = fails(acct, "DROP USER eve", "2BP01");
  BOOST_TEST(e.message.find("command rule no_eve") != std::string::npos, e.message);
  e = fails(acct, "DROP ROLE sysadmin", "2BP01");
  BOOST_TEST(e.message.find("command rule no_sys, command rule both") != std::string::npos,
             e.message);
  e = fails(acct, "DROP ROLE night_shift", "2BP01");
  BOOST_TEST(e.message.find("rule set nights") != std::string::npos, e.message);
  // Nothing was dropped and every rule still compiles.
  auto sn = vault->snapshot();
  BOOST_TEST(sn->find_user("eve").has_value());
  BOOST_TEST(sn->find_role("sysadmin").has_value());
  BOOST_TEST(sn->compile_errors().empty());
  Session dba = login("dba_alice");
  BOOST_TEST(access(dba, Command::kDelete, "users").ok());
  // Names no rule uses drop as before.
  ok(acct, "DROP USER temp");
  ok(acct, "DROP ROLE unused");
  ok(acct, "DROP USER IF EXISTS nobody CASCADE");
}

BOOST_AUTO_TEST_CASE(cascade_drops_and_the_rules_fail_closed) {
  Session acct = login("acct");
  sink.clear();
  ok(acct, "DROP USER eve CASCADE");
  BOOST_TEST(!vault->snapshot()->find_user("eve").has_value());
  const auto events = sink.events();
  const audit::Event* drop = nullptr;
  for (const auto& ev : events) {
    if (ev.type == audit::EventType::kPolicyChanged) drop = &ev;
  }
  BOOST_TEST_REQUIRE(drop != nullptr);
  BOOST_TEST(drop->detail.value("statement", "") == "DROP USER");
  BOOST_TEST(drop->detail.value("dependent_rules", "") == "command rule no_eve");
  BOOST_TEST(drop->detail.value("cascade", false));
  BOOST_TEST((drop->severity == audit::Severity::kWarning));
  // The rule stays, failing closed: DELETE on users is refused to everyone, as documented.
  BOOST_TEST(vault->snapshot()->compile_errors().size() == 1U);
  Session dba = login("dba_alice");
  BOOST_TEST(access(dba, Command::kDelete, "users").error().code.code() == "42501");
  ok(acct, "DROP ROLE night_shift CASCADE");
  Session bob = login("bob");
  BOOST_TEST(access(bob, Command::kSelect, "financial_records").error().code.code() == "42501");
  // A VAULT_ADMIN clears it by dropping the rules.
  Session admin = login("sec_admin");
  ok(admin, "DROP COMMAND RULE no_eve");
  BOOST_TEST(access(dba, Command::kDelete, "users").ok());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::vault::test
