// Issue 9 item 6: every authorizer action is mapped to accesses or refused; INSERT maps its
// columns; VACUUM INTO counts as reading every table. Checked on the EXPLAIN VAULT resolver,
// which compiles statements exactly as the engine's connections do.
#include <algorithm>
#include <boost/test/unit_test.hpp>

#include "tests/storage/resolver_fixture.h"

namespace dbvault::storage::test {
namespace {

using vault::Session;

struct MapFixture : ResolverFixture {
  MapFixture()
      : ResolverFixture(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, ssn TEXT);"
            "CREATE TABLE financial_records (id INTEGER PRIMARY KEY, amount INTEGER);"
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER, note TEXT);"
            "CREATE INDEX orders_user ON orders (user_id); ANALYZE;") {}

  bool has(std::string_view sql, std::string_view access) {
    auto a = accesses(sql);
    BOOST_TEST_REQUIRE(a.ok(), sql << ": " << (a.ok() ? "" : a.error().message));
    const bool found = std::find(a->begin(), a->end(), access) != a->end();
    if (!found) {
      std::string all;
      for (const auto& x : *a) all += x + "; ";
      BOOST_TEST_MESSAGE(sql << " -> " << all);
    }
    return found;
  }
  std::string refusal(std::string_view sql) {
    auto a = accesses(sql);
    BOOST_TEST_REQUIRE(!a.ok(), sql << " should be refused");
    BOOST_TEST(a.error().code.code() == "42501", sql << ": " << a.error().message);
    return a.error().message;
  }
};

BOOST_FIXTURE_TEST_SUITE(access_map, MapFixture)

BOOST_AUTO_TEST_CASE(vacuum_into_reads_every_table_and_column) {
  for (const char* sql : {"VACUUM INTO '/tmp/dbvault-copy.db'", "VACUUM", "VACUUM main"}) {
    BOOST_TEST(has(sql, "SELECT main.users.ssn"), sql);
    BOOST_TEST(has(sql, "SELECT main.financial_records.amount"), sql);
    BOOST_TEST(has(sql, "SELECT main.orders"), sql);
  }
  Session admin = login("sec_admin");
  ok(admin, "CREATE REALM pii");
  ok(admin, "ALTER REALM pii ADD TABLE users");
  Session dba = login("dba_alice");
  BOOST_TEST(!check(dba, "VACUUM INTO '/tmp/dbvault-copy.db'").ok());
}

BOOST_AUTO_TEST_CASE(insert_and_replace_map_every_column) {
  BOOST_TEST(has("INSERT INTO users (name) VALUES ('x')", "INSERT main.users.ssn"));
  BOOST_TEST(has("REPLACE INTO users (id, name) VALUES (1, 'x')", "INSERT main.users.ssn"));
  BOOST_TEST(has("INSERT INTO users DEFAULT VALUES", "INSERT main.users.name"));
  // A column realm now guards writes that do not name the column.
  Session admin = login("sec_admin");
  ok(admin, "CREATE REALM ssn");
  ok(admin, "ALTER REALM ssn ADD COLUMN users.ssn");
  Session dba = login("dba_alice");
  BOOST_TEST(!check(dba, "INSERT INTO users (name) VALUES ('x')").ok());
}

BOOST_AUTO_TEST_CASE(ddl_actions_are_mapped) {
  BOOST_TEST(has("CREATE INDEX users_ssn ON users (ssn)", "ALTER main.users"));
  BOOST_TEST(has("CREATE INDEX users_ssn ON users (ssn)", "SELECT main.users.ssn"));
  BOOST_TEST(has("DROP INDEX orders_user", "ALTER main.orders"));
  BOOST_TEST(
      has("CREATE TRIGGER t AFTER INSERT ON orders BEGIN SELECT 1; END", "ALTER main.orders"));
  BOOST_TEST(has("CREATE VIEW v AS SELECT ssn FROM users", "CREATE main.v"));
  BOOST_TEST(has("CREATE TABLE t2 AS SELECT ssn FROM users", "SELECT main.users.ssn"));
  BOOST_TEST(has("ALTER TABLE users ADD COLUMN x", "ALTER main.users.ssn"));
  BOOST_TEST(has("ANALYZE users", "SELECT main.users.ssn"));
  BOOST_TEST(has("DROP TABLE orders", "DROP main.orders"));
  BOOST_TEST(has("REINDEX orders_user", "ALTER main.orders_user"));
}

BOOST_AUTO_TEST_CASE(unmapped_actions_are_refused) {
  refusal("ATTACH ':memory:' AS m");
  refusal("DETACH main");
  refusal("PRAGMA writable_schema = ON");
  refusal("PRAGMA journal_mode = OFF");
  refusal("SELECT load_extension('x')");
  refusal("CREATE VIRTUAL TABLE f USING fts5(x)");
  refusal("SELECT * FROM sqlite_stat1");
  BOOST_TEST(has("SELECT count(*) FROM users", "SELECT main.users"));
  BOOST_TEST(accesses("BEGIN").ok());  // touches no object, nothing to check
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::storage::test
