// The engine connection: settings, one statement at a time, checks on prepare and on every
// execution, registration of what CREATE makes, re-prepare after another connection changed
// the schema, and concurrent sessions.
#include <sqlite3.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <thread>

#include "tests/storage/engine_fixture.h"

namespace dbvault::storage::test {
namespace {

using Rows = std::vector<std::vector<std::string>>;

BOOST_FIXTURE_TEST_SUITE(engine, EngineFixture)

BOOST_AUTO_TEST_CASE(connections_use_wal_and_full_sync_without_extensions) {
  Connection& bob = as("bob");
  BOOST_TEST(rows(bob, "PRAGMA journal_mode") == (Rows{{"wal"}}));
  BOOST_TEST(rows(bob, "PRAGMA synchronous") == (Rows{{"2"}}));  // FULL
  BOOST_TEST(rows(bob, "PRAGMA temp_store") == (Rows{{"2"}}));   // MEMORY
  refused(bob, "SELECT load_extension('/tmp/evil.so')");
  refused(bob, "PRAGMA journal_mode = DELETE");
}

BOOST_AUTO_TEST_CASE(one_statement_at_a_time) {
  Connection& bob = as("bob");
  refused(bob, "SELECT 1; SELECT 2", "42601");
  refused(bob, "", "42601");
  refused(bob, "SELEC 1", "42601");
  BOOST_TEST(rows(bob, "SELECT 1;  ") == (Rows{{"1"}}));
  refused(bob, "SELECT * FROM nowhere", "42P01");
}

BOOST_AUTO_TEST_CASE(parameters_rows_and_column_descriptions) {
  Connection& bob = as("bob");
  auto st = bob.prepare("SELECT id, name, ssn || '' AS s FROM users WHERE id = $1");
  BOOST_TEST_REQUIRE(st.ok());
  BOOST_TEST((*st)->parameter_count() == 1);
  BOOST_TEST((*st)->parameter_name(1) == "$1");
  BOOST_TEST((*st)->column_count() == 3);
  BOOST_TEST((*st)->column_name(1) == "name");
  BOOST_TEST((*st)->column_decltype(1) == "TEXT");
  BOOST_TEST((*st)->column_table(1) == "users");
  BOOST_TEST((*st)->column_decltype(2) == "");
  BOOST_TEST((*st)->read_only());
  BOOST_TEST((*st)->bind(1, std::int64_t{2}).ok());
  BOOST_TEST((*st)->bind(2, std::int64_t{2}).error().code.code() == "22023");
  BOOST_TEST_REQUIRE(*(*st)->step());
  BOOST_TEST(std::get<std::string>((*st)->column(1)) == "Ben");
  BOOST_TEST(!*(*st)->step());
  (*st)->reset();
  BOOST_TEST((*st)->bind(1, std::int64_t{1}).ok());
  BOOST_TEST_REQUIRE(*(*st)->step());
  BOOST_TEST(std::get<std::string>((*st)->column(1)) == "Ann");
}

BOOST_AUTO_TEST_CASE(every_execution_is_checked_again) {
  Connection& bob = as("bob");
  auto st = bob.prepare("SELECT ssn FROM users");
  BOOST_TEST_REQUIRE(st.ok());
  BOOST_TEST_REQUIRE(*(*st)->step());
  (*st)->reset();
  Session admin = login("sec_admin");
  ok(admin, "ALTER REALM pii UNAUTHORIZE USER bob");
  auto again = (*st)->step();
  BOOST_TEST_REQUIRE(!again.ok());
  BOOST_TEST(again.error().code.code() == "42501");
  BOOST_TEST(again.error().message.find("pii") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_unlock_that_expires_stops_the_prepared_statement) {
  Connection& bob = as("bob");
  refused(bob, "SELECT amount FROM financial_records");
  ok(bob.session(), "UNLOCK REALM fin PASSWORD 'fin-secret-2025'");
  auto st = bob.prepare("SELECT amount FROM financial_records");
  BOOST_TEST_REQUIRE(st.ok());
  BOOST_TEST_REQUIRE(*(*st)->step());
  (*st)->reset();
  clock.advance(std::chrono::hours(2));  // past the token's lifetime
  auto again = (*st)->step();
  BOOST_TEST_REQUIRE(!again.ok());
  BOOST_TEST(again.error().code.code() == "42501");
}

BOOST_AUTO_TEST_CASE(a_denied_write_changes_nothing) {
  Connection& alice = as("dba_alice");
  const auto before = count("users");
  refused(alice, "DELETE FROM users");
  refused(alice, "INSERT INTO users (name) VALUES ('Eve')");
  refused(alice, "UPDATE users SET ssn = NULL");
  refused(alice, "INSERT INTO log SELECT ssn FROM users");
  BOOST_TEST(count("users") == before);
  BOOST_TEST(count("log") == 0);
  BOOST_TEST(rows(as("bob"), "SELECT count(*) FROM users WHERE ssn IS NOT NULL") == (Rows{{"2"}}));
}

// Drivers tell constraint violations apart by SQLSTATE (pgjdbc, psycopg and asyncpg map
// 23505 to their unique-violation class), as PostgreSQL reports them.
BOOST_AUTO_TEST_CASE(constraint_violations_have_postgresql_sqlstates) {
  Connection& alice = as("dba_alice");
  exec(alice,
       "CREATE TABLE keyed (id INTEGER PRIMARY KEY, code TEXT UNIQUE, n INTEGER NOT NULL "
       "CHECK (n > 0))");
  exec(alice, "INSERT INTO keyed VALUES (1, 'a', 1)");
  refused(alice, "INSERT INTO keyed VALUES (1, 'b', 1)", "23505");  // primary key
  refused(alice, "INSERT INTO keyed VALUES (2, 'a', 1)", "23505");  // unique
  refused(alice, "INSERT INTO keyed VALUES (2, 'b', NULL)", "23502");
  refused(alice, "INSERT INTO keyed VALUES (2, 'b', 0)", "23514");
}

BOOST_AUTO_TEST_CASE(create_table_registers_the_table_and_its_owner) {
  Connection& alice = as("dba_alice");
  exec(alice, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
  exec(alice, "INSERT INTO notes (body) VALUES ('hello')");
  const auto id = vault->snapshot()->find_object({{"", "notes"}, "body"});
  BOOST_TEST_REQUIRE(id.has_value());
  BOOST_TEST(vault->snapshot()->user_name(vault->snapshot()->object(*id)->owner_user) ==
             "dba_alice");
  refused(as("carol"), "SELECT body FROM notes");  // no grant
  Session dba = login("dba_alice");
  ok(dba, "GRANT SELECT ON notes TO carol");
  BOOST_TEST(rows(as("carol"), "SELECT body FROM notes") == (Rows{{"hello"}}));
}

BOOST_AUTO_TEST_CASE(a_table_dropped_and_created_again_stays_in_its_realm) {
  Connection& bob = as("bob");  // authorized in pii, owner of users
  exec(bob, "DROP TABLE users");
  exec(bob, "CREATE TABLE Users (id INTEGER PRIMARY KEY, name TEXT, ssn TEXT)");
  exec(bob, "INSERT INTO users VALUES (1, 'Ann', '123-45-6789')");
  const auto e = refused(as("dba_alice"), "SELECT ssn FROM USERS");
  BOOST_TEST(e.message.find("pii") != std::string::npos);
  refused(as("dba_alice"), "CREATE TABLE IF NOT EXISTS users (x)");  // a realm name, too
}

BOOST_AUTO_TEST_CASE(a_reprepared_statement_is_checked_before_it_runs) {
  raw_exec("CREATE VIEW recent AS SELECT id, note FROM orders");
  Session dba = login("dba_alice");
  Connection& alice = as("dba_alice");
  auto st = alice.prepare("SELECT * FROM recent");
  BOOST_TEST_REQUIRE(st.ok());
  // Another connection redefines the view to read the realm table under the same columns.
  raw_exec("DROP VIEW recent; CREATE VIEW recent AS SELECT id, ssn AS note FROM users");
  auto row = (*st)->step();
  BOOST_TEST_REQUIRE(!row.ok());
  BOOST_TEST(row.error().code.code() == "42501");
  BOOST_TEST(row.error().message.find("schema changed") != std::string::npos);
  BOOST_TEST(alice.prepare("SELECT * FROM recent").error().code.code() == "42501");
}

BOOST_AUTO_TEST_CASE(a_trigger_added_by_another_connection_is_not_run_unchecked) {
  Connection& bob = as("bob");
  auto st = bob.prepare("INSERT INTO orders (user_id, note) VALUES (1, 'x')");
  BOOST_TEST_REQUIRE(st.ok());
  raw_exec("CREATE TRIGGER spill AFTER INSERT ON orders BEGIN DELETE FROM users; END");
  auto row = (*st)->step();
  BOOST_TEST_REQUIRE(!row.ok());
  BOOST_TEST(row.error().code.code() == "42501");
  BOOST_TEST(count("users") == 2);
  BOOST_TEST(count("orders") == 1);
}

BOOST_AUTO_TEST_CASE(interrupt_cancels_the_running_statement) {
  Connection& bob = as("bob");
  auto st = bob.prepare(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n");
  BOOST_TEST_REQUIRE(st.ok(), (st.ok() ? "" : st.error().message));
  // An interrupt while nothing runs is lost (SQLite's rule), so keep interrupting until the
  // step has returned.
  std::atomic<bool> done{false};
  std::thread canceller([&] {
    while (!done.load()) {
      bob.interrupt();
      std::this_thread::yield();
    }
  });
  auto r = (*st)->step();
  done = true;
  canceller.join();
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code.code() == "57014");
}

BOOST_AUTO_TEST_CASE(transactions_are_reported) {
  Connection& bob = as("bob");
  BOOST_TEST(!bob.in_transaction());
  exec(bob, "BEGIN");
  BOOST_TEST(bob.in_transaction());
  exec(bob, "UPDATE users SET name = 'Anne' WHERE id = 1");
  exec(bob, "ROLLBACK");
  BOOST_TEST(!bob.in_transaction());
  BOOST_TEST(rows(bob, "SELECT name FROM users WHERE id = 1") == (Rows{{"Ann"}}));
}

BOOST_AUTO_TEST_CASE(eight_sessions_write_and_read_concurrently_without_lock_errors) {
  constexpr int kThreads = 8, kRounds = 40;
  std::vector<std::unique_ptr<Session>> sessions;
  std::vector<std::unique_ptr<Connection>> conns;
  for (int i = 0; i < kThreads; ++i) {
    sessions.push_back(std::make_unique<Session>(login("bob")));
    auto c = engine->connect(*sessions.back());
    BOOST_TEST_REQUIRE(c.ok());
    conns.push_back(std::move(c).value());
  }
  std::atomic<int> failures{0};
  std::string first_error;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        const std::string sql =
            (i % 2 == 0)
                ? "INSERT INTO orders (user_id, note) VALUES (" + std::to_string(t) + ", 'n')"
                : "SELECT count(*) FROM orders JOIN users ON users.id = 1";
        auto st = conns[t]->prepare(sql);
        Result<bool> r = st.ok() ? (*st)->step() : Result<bool>(st.error());
        while (r.ok() && *r) r = (*st)->step();
        if (!r.ok()) {
          ++failures;
          std::lock_guard lock(mu);
          if (first_error.empty()) first_error = r.error().message;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  BOOST_TEST(failures.load() == 0, first_error);
  BOOST_TEST(count("orders") == 1 + kThreads * kRounds / 2);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::storage::test
