// EXPLAIN VAULT <SQL>: the engine's access set (storage::SqliteAccessResolver on a real SQLite
// database) checked by the vault without running the statement — one row per realm, privilege
// and rule check, with the verdict and why.
#include <sqlite3.h>

#include <boost/test/unit_test.hpp>

#include "storage/access_set.h"
#include "tests/vault/vault_fixture.h"

namespace dbvault::vault::test {
namespace {

struct ExplainFixture : VaultFixture {
  std::filesystem::path engine_db = dir / "engine.db";
  std::unique_ptr<storage::SqliteAccessResolver> resolver;

  ExplainFixture() {
    sqlite3* db = nullptr;
    BOOST_TEST_REQUIRE(sqlite3_open(engine_db.c_str(), &db) == SQLITE_OK);
    const char* schema =
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, ssn TEXT);"
        "CREATE TABLE financial_records (id INTEGER PRIMARY KEY, amount INTEGER);"
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER);"
        "INSERT INTO users VALUES (1, 'Ann', '123-45-6789'), (2, 'Ben', '987-65-4321');";
    BOOST_TEST_REQUIRE(sqlite3_exec(db, schema, nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    auto r = storage::SqliteAccessResolver::open(engine_db);
    BOOST_TEST_REQUIRE(r.ok());
    resolver = std::move(r).value();
    access_resolver = resolver.get();
    reopen();
    cast();
  }

  // "object | check | verdict | why" per row.
  std::vector<std::string> explain(Session& s, std::string_view sql) {
    std::vector<std::string> out;
    for (const auto& row : ok(s, "EXPLAIN VAULT " + std::string(sql)).rows) {
      out.push_back(row[0] + " | " + row[1] + " | " + row[2] + " | " + row[3]);
    }
    return out;
  }
  static bool has(const std::vector<std::string>& rows, std::string_view row) {
    return std::find(rows.begin(), rows.end(), row) != rows.end();
  }

  int engine_rows() const {
    sqlite3* db = nullptr;
    sqlite3_open_v2(engine_db.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM users", -1, &st, nullptr);
    sqlite3_step(st);
    const int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
  }
};

BOOST_FIXTURE_TEST_SUITE(explain_vault, ExplainFixture)

BOOST_AUTO_TEST_CASE(why_the_dba_is_denied_and_what_unlocking_changes) {
  Session admin = login("sec_admin");
  ok(admin, "CREATE REALM pii REQUIRE VAULT PASSWORD 'pii-secret-2025'");
  ok(admin, "ALTER REALM pii ADD TABLE users");
  ok(admin,
     "CREATE COMMAND RULE no_export_ssn FOR SELECT ON COLUMN users.ssn "
     "DENY WHEN program_name = 'export_tool' MESSAGE 'no SSN export'");
  Session dba = login("dba_alice");
  auto rows = explain(dba, "SELECT name, ssn FROM users WHERE id = 1");
  const std::string locked = "realm requires a vault password and is locked";
  BOOST_TEST(has(rows, "main.users | realm pii | DENY | " + locked));
  BOOST_TEST(has(rows, "main.users.name | realm pii | DENY | " + locked));
  BOOST_TEST(has(rows, "main.users.ssn | realm pii | DENY | " + locked));
  BOOST_TEST(has(rows, "main.users.ssn | privilege SELECT | ALLOW | session holds DBA"));
  BOOST_TEST(has(rows,
                 "main.users.ssn | rule no_export_ssn | ALLOW | ON COLUMN users.ssn; "
                 "condition is FALSE: program_name = 'export_tool'"));
  BOOST_TEST(!access(dba, ast::Command::kSelect, "users.ssn").ok());  // as explained

  ok(dba, "UNLOCK REALM pii PASSWORD 'pii-secret-2025'");
  rows = explain(dba, "SELECT name, ssn FROM users WHERE id = 1");
  BOOST_TEST(has(rows, "main.users.ssn | realm pii | ALLOW | realm unlocked by this session"));
  for (const auto& r : rows) BOOST_TEST(r.find("| DENY |") == std::string::npos, r);

  Session tool = login("dba_alice", "export_tool");
  ok(tool, "UNLOCK REALM pii PASSWORD 'pii-secret-2025'");
  rows = explain(tool, "SELECT ssn FROM users");
  BOOST_TEST(has(rows,
                 "main.users.ssn | rule no_export_ssn | DENY | ON COLUMN users.ssn; "
                 "condition is TRUE: program_name = 'export_tool'"));
}

BOOST_AUTO_TEST_CASE(privileges_and_unregistered_tables) {
  Session bob = login("bob");  // owns users and financial_records
  Session carol = login("carol");
  auto rows = explain(carol, "UPDATE users SET name = 'x' WHERE id = 1");
  BOOST_TEST(has(rows, "main.users | privilege UPDATE | DENY | no grant"));
  BOOST_TEST(has(rows, "main.users.name | privilege UPDATE | DENY | no grant"));
  BOOST_TEST(has(rows, "main.users.id | privilege SELECT | DENY | no grant"));  // WHERE id
  rows = explain(bob, "UPDATE users SET name = 'x' WHERE id = 1");
  BOOST_TEST(has(rows, "main.users | privilege UPDATE | ALLOW | granted or owner"));
  rows = explain(bob, "SELECT * FROM orders");
  BOOST_TEST(has(rows,
                 "main.orders | privilege SELECT | DENY | the object is not registered "
                 "with the vault"));
}

BOOST_AUTO_TEST_CASE(nothing_runs) {
  Session bob = login("bob");
  const auto before = sink.events().size();
  const auto rows = explain(bob, "DELETE FROM users");
  BOOST_TEST(has(rows, "main.users | privilege DELETE | ALLOW | granted or owner"));
  explain(bob, "DROP TABLE users");
  BOOST_TEST(engine_rows() == 2);
  BOOST_TEST(sink.events().size() == before);
}

BOOST_AUTO_TEST_CASE(bad_statements_are_the_engines_errors) {
  Session bob = login("bob");
  BOOST_TEST(fails(bob, "EXPLAIN VAULT SELECT * FROM nowhere", "42P01").message ==
             "no such table: nowhere");
  fails(bob, "EXPLAIN VAULT SELECT no_such_column FROM users", "42703");
  fails(bob, "EXPLAIN VAULT SELEC * FROM users", "42601");
  // The parser already refuses a second statement; the resolver does too, on its own.
  auto two = resolver->accesses(*vault->snapshot(), "SELECT 1; SELECT 2");
  BOOST_TEST_REQUIRE(!two.ok());
  BOOST_TEST(two.error().code.code() == "42601");
  BOOST_TEST(resolver->accesses(*vault->snapshot(), "SELECT 1;  ").ok());
  fails(bob, "EXPLAIN VAULT UNLOCK REALM pii PASSWORD 'x'", "0A000");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(explain_vault_unconfigured, VaultFixture)

BOOST_AUTO_TEST_CASE(without_an_engine_it_is_not_supported) {
  cast();
  Session bob = login("bob");
  BOOST_TEST(fails(bob, "EXPLAIN VAULT SELECT * FROM users", "0A000").message.find("access sets") !=
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::vault::test
