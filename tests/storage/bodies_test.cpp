// Issue 9 item 7: accesses made inside a trigger or view body must be allowed for the caller
// AND for the body's creator, who counts as admitted to a realm only by a standing
// authorization (never a temporary unlock). Bodies without a recorded creator touch no realm.
#include <boost/test/unit_test.hpp>

#include "tests/storage/engine_fixture.h"

namespace dbvault::storage::test {
namespace {

using Rows = std::vector<std::vector<std::string>>;

bool mentions(const Error& e, std::string_view what) {
  return e.message.find(what) != std::string::npos;
}

BOOST_FIXTURE_TEST_SUITE(bodies, EngineFixture)

BOOST_AUTO_TEST_CASE(a_planted_trigger_copying_realm_data_is_refused) {
  Connection& alice = as("dba_alice");  // DBA, no realm
  const char* spy =
      "CREATE TRIGGER spy AFTER INSERT ON orders BEGIN INSERT INTO log SELECT ssn FROM users; END";
  BOOST_TEST(mentions(refused(alice, spy), "pii"));
  BOOST_TEST(count("sqlite_schema WHERE name = 'spy'") == 0);
  // Planted past the vault (an offline edit of the file): no recorded creator.
  raw_exec(spy);
  Connection& bob = as("bob");  // authorized in pii: he could read users himself
  refused(bob, "INSERT INTO orders (user_id, note) VALUES (1, 'x')");
  BOOST_TEST(count("log") == 0);
  BOOST_TEST(count("orders") == 1);
}

BOOST_AUTO_TEST_CASE(a_planted_trigger_runs_with_its_creators_realms_too) {
  const char* wipe =
      "CREATE TRIGGER wipe AFTER INSERT ON orders BEGIN UPDATE users SET ssn = NULL; END";
  BOOST_TEST(mentions(refused(as("dba_alice"), wipe), "pii"));  // alice may not make it
  // Made and recorded as hers past the vault: it fires for bob, whom pii admits.
  raw_exec(wipe);
  raw_exec(
      "INSERT INTO dbvault_body_creators VALUES ('main', 'wipe', 'trigger', "
      "(SELECT 0), 'dba_alice')");
  const auto alice_id = vault->snapshot()->find_user("dba_alice");
  raw_exec("UPDATE dbvault_body_creators SET creator_id = " + std::to_string(*alice_id));
  const Error e = refused(as("bob"), "INSERT INTO orders (user_id, note) VALUES (1, 'x')");
  BOOST_TEST(mentions(e, "wipe (created by dba_alice)"), e.message);
  BOOST_TEST(mentions(e, "pii"), e.message);
  BOOST_TEST(rows(as("bob"), "SELECT count(*) FROM users WHERE ssn IS NOT NULL") == (Rows{{"2"}}));
}

BOOST_AUTO_TEST_CASE(a_body_is_checked_for_its_creator_each_time_it_runs) {
  Connection& alice = as("dba_alice");
  exec(alice, "CREATE TABLE tally (n INTEGER)");
  exec(alice, "INSERT INTO tally VALUES (0)");
  exec(alice,
       "CREATE TRIGGER count_orders AFTER INSERT ON orders BEGIN UPDATE tally SET n = n + 1; END");
  Session dba = login("dba_alice");
  ok(dba, "GRANT SELECT, UPDATE ON tally TO bob");
  Connection& bob = as("bob");
  exec(bob, "INSERT INTO orders (user_id, note) VALUES (1, 'a')");
  BOOST_TEST(rows(bob, "SELECT n FROM tally") == (Rows{{"1"}}));
  // tally joins realm pii: bob still passes, the trigger's creator does not.
  Session admin = login("sec_admin");
  ok(admin, "ALTER REALM pii ADD TABLE tally");
  const Error e = refused(bob, "INSERT INTO orders (user_id, note) VALUES (1, 'b')");
  BOOST_TEST(mentions(e, "count_orders (created by dba_alice)"), e.message);
  BOOST_TEST(count("orders") == 2);
  ok(admin, "ALTER REALM pii AUTHORIZE USER dba_alice");
  exec(bob, "INSERT INTO orders (user_id, note) VALUES (1, 'b')");
  BOOST_TEST(rows(bob, "SELECT n FROM tally") == (Rows{{"2"}}));
}

BOOST_AUTO_TEST_CASE(a_temporary_unlock_does_not_make_a_creator_admitted) {
  Session admin = login("sec_admin");
  {
    Session boot = login("dba_boot");
    ok(boot, "GRANT DBA TO bob");
  }
  Connection& bob = as("bob");
  ok(bob.session(), "UNLOCK REALM fin PASSWORD 'fin-secret-2025'");
  BOOST_TEST(rows(bob, "SELECT count(*) FROM financial_records") == (Rows{{"2"}}));
  const Error e = refused(bob,
                          "CREATE TRIGGER pay AFTER INSERT ON orders BEGIN UPDATE "
                          "financial_records SET amount = 0; END");
  BOOST_TEST(mentions(e, "fin"), e.message);
  BOOST_TEST(count("sqlite_schema WHERE name = 'pay'") == 0);
}

BOOST_AUTO_TEST_CASE(the_caller_is_checked_inside_bodies_too) {
  Session admin = login("sec_admin");
  {
    Session boot = login("dba_boot");
    ok(boot, "GRANT DBA TO bob");
  }
  Connection& bob = as("bob");  // admitted to pii by a standing authorization
  exec(bob, "CREATE TRIGGER touch AFTER INSERT ON orders BEGIN UPDATE users SET name = name; END");
  exec(bob, "CREATE VIEW people AS SELECT name FROM users");
  exec(bob, "INSERT INTO orders (user_id, note) VALUES (1, 'by bob')");
  BOOST_TEST(rows(bob, "SELECT count(*) FROM people") == (Rows{{"2"}}));
  Connection& alice = as("dba_alice");  // fires bob's trigger, reads bob's view: not admitted
  BOOST_TEST(mentions(refused(alice, "INSERT INTO orders (user_id, note) VALUES (1, 'x')"), "pii"));
  BOOST_TEST(mentions(refused(alice, "SELECT * FROM people"), "pii"));
  // When bob loses pii, his view stops working for everyone, the admitted included.
  ok(admin, "ALTER REALM pii UNAUTHORIZE USER bob");
  ok(admin, "ALTER REALM pii AUTHORIZE USER dba_alice");
  const Error e = refused(alice, "SELECT * FROM people");
  BOOST_TEST(mentions(e, "people (created by bob)"), e.message);
}

BOOST_AUTO_TEST_CASE(a_view_used_inside_a_trigger_answers_to_both_creators) {
  Session admin = login("sec_admin");
  {
    Session boot = login("dba_boot");
    ok(boot, "GRANT DBA TO bob");
  }
  exec(as("bob"), "CREATE VIEW names AS SELECT name FROM users");  // bob: admitted
  // alice's trigger reads bob's view: the view's accesses answer to alice as well.
  const Error e = refused(as("dba_alice"),
                          "CREATE TRIGGER t AFTER DELETE ON orders BEGIN "
                          "UPDATE orders SET note = (SELECT count(*) FROM names); END");
  BOOST_TEST(mentions(e, "pii"), e.message);
}

BOOST_AUTO_TEST_CASE(a_trigger_may_not_copy_the_new_row_of_a_realm_table_out) {
  Session admin = login("sec_admin");
  {
    Session boot = login("dba_boot");
    ok(boot, "GRANT DBA TO bob");
  }
  const Error e = refused(as("bob"),
                          "CREATE TRIGGER keep AFTER UPDATE ON users BEGIN "
                          "INSERT INTO log VALUES (NEW.ssn); END");
  BOOST_TEST(mentions(e, "realm pii: the statement would copy main.users"), e.message);
}

BOOST_AUTO_TEST_CASE(a_temp_trigger_cannot_borrow_a_main_triggers_creator) {
  Session admin = login("sec_admin");
  {
    Session boot = login("dba_boot");
    ok(boot, "GRANT DBA TO bob");
  }
  exec(as("bob"),
       "CREATE TRIGGER touch AFTER INSERT ON orders BEGIN UPDATE users SET name = name; END");
  Connection& alice = as("dba_alice");
  ok(admin, "ALTER REALM pii AUTHORIZE USER dba_alice");
  // A TEMP trigger of the same name is unrecorded: it may not touch the realm, and it does
  // not stand in for bob's. SQLite names bodies without their schema, so on alice's connection
  // even a harmless one makes "touch" ambiguous, and bob's trigger no longer runs there.
  refused(alice,
          "CREATE TEMP TRIGGER touch AFTER DELETE ON orders BEGIN UPDATE users SET ssn = NULL; "
          "END");
  refused(alice, "CREATE TEMP TRIGGER touch AFTER DELETE ON orders BEGIN SELECT 1; END");
  BOOST_TEST(rows(as("bob"), "SELECT count(*) FROM users WHERE ssn IS NOT NULL") == (Rows{{"2"}}));
  exec(as("bob"), "INSERT INTO orders (user_id, note) VALUES (1, 'x')");  // elsewhere: unchanged
  BOOST_TEST(count("orders") == 2);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::storage::test
