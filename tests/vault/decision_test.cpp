// The decision engine directly: EXPLAIN rows, unknown objects, and decisions running while
// other threads publish policy changes.
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <map>
#include <thread>

#include "tests/vault/vault_fixture.h"

namespace dbvault::vault::test {

using ast::Command;

BOOST_FIXTURE_TEST_SUITE(decision, VaultFixture)

BOOST_AUTO_TEST_CASE(explain_lists_every_check) {
  cast();
  Session admin = login("sec_admin");
  ok(admin, "CREATE REALM pii REQUIRE VAULT PASSWORD 'pw'");
  ok(admin, "ALTER REALM pii ADD COLUMN users.ssn");
  ok(admin, "CREATE REALM trial SIMULATION");
  ok(admin, "ALTER REALM trial ADD TABLE users");
  ok(admin,
     "CREATE COMMAND RULE no_export_ssn FOR SELECT ON COLUMN users.ssn "
     "DENY WHEN program_name = 'export_tool' MESSAGE 'no export'");
  Session tool = login("bob", "export_tool");
  auto snap = vault->snapshot();
  std::vector<Access> accesses{{Command::kSelect, *snap->find_object({{"", "users"}, "ssn"})}};
  auto rows = vault->explain(tool, accesses);
  std::map<std::string, std::string> verdicts;
  for (const auto& r : rows) verdicts[r.check] = r.verdict;
  BOOST_TEST(verdicts["realm pii"] == "DENY");
  BOOST_TEST(verdicts["realm trial"] == "SIMULATED DENY");
  BOOST_TEST(verdicts["rule no_export_ssn"] == "DENY");
  BOOST_TEST(verdicts["privilege SELECT"] == "ALLOW");  // bob owns users
  // decide() stops at the first failure: the realm.
  auto d = vault->decide(tool, accesses);
  BOOST_TEST_REQUIRE(!d.allowed());
  BOOST_TEST(d.error->message.find("realm pii") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_objects_fail_closed_except_for_dba) {
  cast();
  Session bob = login("bob");
  Session dba = login("dba_alice");
  std::vector<Access> unknown{{Command::kSelect, rules::kNoId}};
  BOOST_TEST(!vault->check(bob, unknown).ok());
  BOOST_TEST(vault->check(dba, unknown).ok());
}

BOOST_AUTO_TEST_CASE(host_privileges_skip_the_vault_rbac_step_only) {
  cast();
  Session admin = login("sec_admin");
  ok(admin, "CREATE REALM pii REQUIRE VAULT PASSWORD 'pw'");
  ok(admin, "ALTER REALM pii ADD TABLE users");
  Session bob = login("bob");
  auto snap = vault->snapshot();
  std::vector<Access> unknown{{Command::kSelect, rules::kNoId}};
  std::vector<Access> users{{Command::kSelect, *snap->find_object({{"", "users"}, ""})}};
  const TimePoint now = clock.now();
  // The vault's own RBAC refuses an object it does not know; a host that checks privileges
  // itself (pgext: PostgreSQL's ACL) gets only the realm and rule steps.
  BOOST_TEST(!decide(*snap, bob, unknown, now).allowed());
  BOOST_TEST(decide(*snap, bob, unknown, now, Privileges::kHost).allowed());
  BOOST_TEST(!decide(*snap, bob, users, now, Privileges::kHost).allowed());  // the realm holds
}

BOOST_AUTO_TEST_CASE(reload_sees_a_change_another_process_made) {
  cast();
  Session admin = login("sec_admin");
  // A second Vault on the same policy.db stands in for another PostgreSQL backend.
  auto other = Vault::open(options());
  BOOST_TEST_REQUIRE(other.ok());
  ok(admin, "CREATE REALM fin");
  BOOST_TEST(!(*other)->snapshot()->find_realm("fin").has_value());
  BOOST_TEST((*other)->reload().ok());
  BOOST_TEST((*other)->snapshot()->find_realm("fin").has_value());
}

BOOST_AUTO_TEST_CASE(decisions_while_policy_changes_are_published) {
  cast();
  Session admin = login("sec_admin");
  ok(admin, "CREATE REALM fin");
  ok(admin, "ALTER REALM fin ADD TABLE financial_records");
  ok(admin, "ALTER REALM fin AUTHORIZE USER bob");
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0}, decisions{0};
  std::thread reader([&] {
    Session bob = login("bob");
    Session carol = login("carol");
    const auto id = *vault->snapshot()->find_object({{"", "financial_records"}, ""});
    std::vector<Access> a{{Command::kSelect, id}};
    while (!stop.load()) {
      if (!vault->decide(bob, a).allowed()) ++wrong;   // bob stays authorized throughout
      if (vault->decide(carol, a).allowed()) ++wrong;  // carol never is
      ++decisions;
    }
  });
  for (int i = 0; i < 30; ++i) {
    ok(admin, "CREATE REALM churn" + std::to_string(i));
    ok(admin, "ALTER REALM churn" + std::to_string(i) + " ADD TABLE users");
  }
  while (decisions.load() < 100) std::this_thread::yield();
  stop = true;
  reader.join();
  BOOST_TEST(wrong.load() == 0);
  BOOST_TEST(decisions.load() >= 100);
}

BOOST_AUTO_TEST_CASE(unlock_event_carries_ids_and_expiry) {
  cast();
  Session admin = login("sec_admin");
  ok(admin, "CREATE REALM pii REQUIRE VAULT PASSWORD 'pw'");
  auto g = ok(admin, "GRANT VAULT PASSWORD ON REALM pii TO bob VALID FOR '30 minutes'");
  Session bob = login("bob");
  sink.clear();
  auto u = ok(bob, "UNLOCK REALM pii PASSWORD '" + g.rows[0][2] + "'");
  auto events = sink.events();
  BOOST_TEST_REQUIRE(events.size() == 1U);
  const auto& e = events[0];
  BOOST_TEST(audit::event_type_name(e.type) == "vault_unlock");
  BOOST_TEST(e.user == "bob");
  BOOST_TEST(e.realm == "pii");
  BOOST_TEST(e.ip_address == "10.0.5.42");
  BOOST_TEST(e.vault_password_id == g.rows[0][3]);
  BOOST_TEST_REQUIRE(e.expires_at.has_value());
  BOOST_TEST(audit::format_time(*e.expires_at) == "2025-10-13T12:30:00Z");
  BOOST_TEST(e.detail.value("token_id", "") == u.rows[0][2]);
  // Someone else's token cannot be revoked by a user without VAULT_ADMIN.
  Session carol = login("carol");
  fails(carol, "REVOKE VAULT TOKEN '" + u.rows[0][2] + "'", "42501");
  fails(carol, "REVOKE VAULT TOKEN 'vt_000000000000000000000000'", "42704");
  ok(admin, "ALTER REALM pii ADD TABLE financial_records");
  BOOST_TEST(access(bob, Command::kSelect, "financial_records").ok());
  ok(bob, "REVOKE VAULT TOKEN '" + u.rows[0][2] + "'");  // own token
  BOOST_TEST(!access(bob, Command::kSelect, "financial_records").ok());
  auto tokens = vault->query_view(admin, "vault.tokens");
  BOOST_TEST_REQUIRE(tokens.ok());
  BOOST_TEST_REQUIRE(tokens->rows.size() == 1U);
  BOOST_TEST(tokens->rows[0][0] == u.rows[0][2]);
  BOOST_TEST(tokens->rows[0][5] == "true");
  BOOST_TEST(tokens->rows[0][6] == g.rows[0][3]);
  auto realms = vault->query_view(admin, "vault.realms");
  BOOST_TEST_REQUIRE(realms.ok());
  BOOST_TEST(realms->rows.size() == 1U);
  BOOST_TEST(realms->rows[0][6] == "1");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::vault::test
