// Issue 9 item 5: engine names meet policy names as SQLite compares them (ASCII
// case-insensitive), whatever the quoting or qualification on either side.
#include <boost/test/unit_test.hpp>

#include "tests/storage/resolver_fixture.h"

namespace dbvault::vault::test {
namespace {

struct NamesFixture : storage::test::ResolverFixture {
  NamesFixture()
      : ResolverFixture(
            "CREATE TABLE \"Patients\" (id INTEGER PRIMARY KEY, \"Diagnosis\" TEXT, note TEXT);"
            "CREATE TABLE visits (id INTEGER PRIMARY KEY, patient INTEGER);") {}
};

BOOST_FIXTURE_TEST_SUITE(name_resolution, NamesFixture)

BOOST_AUTO_TEST_CASE(a_realm_named_in_lower_case_protects_a_mixed_case_table) {
  Session admin = login("sec_admin");
  ok(admin, "CREATE REALM clinic");
  ok(admin, "ALTER REALM clinic ADD TABLE patients");  // folded: patients
  Session dba = login("dba_alice");
  for (const char* sql :
       {"SELECT * FROM Patients", "SELECT * FROM \"Patients\"", "SELECT * FROM main.\"Patients\"",
        "SELECT * FROM MAIN.PATIENTS", "DELETE FROM patients", "UPDATE PaTiEnTs SET note = 'x'"}) {
    auto st = check(dba, sql);
    BOOST_TEST(!st.ok(), sql);
    if (!st.ok()) BOOST_TEST(st.error().message.find("clinic") != std::string::npos, sql);
  }
  BOOST_TEST(check(dba, "SELECT * FROM visits").ok());
}

BOOST_AUTO_TEST_CASE(a_quoted_mixed_case_policy_name_protects_the_same_table) {
  BOOST_TEST_REQUIRE(
      vault->register_table({"", "Patients"}, {"id", "Diagnosis", "note"}, "bob").ok());
  Session admin = login("sec_admin");
  ok(admin, "CREATE REALM clinic");
  ok(admin, "ALTER REALM clinic ADD TABLE \"PATIENTS\"");  // another case form, kept as is
  Session bob = login("bob");                              // the owner, not authorized
  BOOST_TEST(!check(bob, "SELECT note FROM patients").ok());
  ok(admin, "ALTER REALM clinic AUTHORIZE USER bob");
  BOOST_TEST(check(bob, "SELECT note FROM patients").ok());
}

BOOST_AUTO_TEST_CASE(a_column_rule_matches_the_column_in_any_case) {
  BOOST_TEST_REQUIRE(
      vault->register_table({"", "Patients"}, {"id", "Diagnosis", "note"}, "bob").ok());
  Session admin = login("sec_admin");
  ok(admin,
     "CREATE COMMAND RULE no_diag FOR SELECT ON COLUMN patients.diagnosis "
     "DENY WHEN program_name = 'export_tool' MESSAGE 'no diagnosis export'");
  Session tool = login("bob", "export_tool");
  auto st = check(tool, "SELECT \"DIAGNOSIS\" FROM PATIENTS");
  BOOST_TEST_REQUIRE(!st.ok());
  BOOST_TEST(st.error().message.find("no diagnosis export") != std::string::npos);
  BOOST_TEST(check(tool, "SELECT note FROM Patients").ok());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::vault::test
