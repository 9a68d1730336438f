// The threat classes of issue 10, each refused with 42501 whatever the user's roles, through
// a real engine file and a real vault. dba_alice holds DBA (every RBAC privilege) and no realm;
// bob is authorized in realm pii (users) but has not unlocked realm fin (financial_records).
#include <boost/test/unit_test.hpp>

#include "tests/storage/engine_fixture.h"

namespace dbvault::storage::test {
namespace {

using Rows = std::vector<std::vector<std::string>>;

bool mentions(const Error& e, std::string_view what) {
  return e.message.find(what) != std::string::npos || e.detail.find(what) != std::string::npos;
}

BOOST_FIXTURE_TEST_SUITE(threats, EngineFixture)

// ---- reads of a realm object that never name it ----------------------------------------------

BOOST_AUTO_TEST_CASE(indirect_reads_are_checked_like_direct_ones) {
  raw_exec("CREATE VIEW people AS SELECT name, ssn FROM users");
  Connection& alice = as("dba_alice");
  for (const char* sql : {
           "SELECT * FROM people",                               // a view
           "WITH c AS (SELECT ssn FROM users) SELECT * FROM c",  // a CTE
           "SELECT (SELECT ssn FROM users WHERE id = 1)",        // a subquery
           "SELECT count(*) FROM (SELECT 1 FROM users)",         // count only
           "SELECT id FROM orders WHERE user_id IN (SELECT id FROM users WHERE ssn LIKE '1%')",
           "SELECT o.note FROM orders o JOIN users u ON u.id = o.user_id",  // a join
       }) {
    const Error e = refused(alice, sql);
    BOOST_TEST(mentions(e, "pii"), sql << ": " << e.message);
  }
}

BOOST_AUTO_TEST_CASE(writes_that_read_a_realm_object_on_the_way) {
  Connection& alice = as("dba_alice");
  for (const char* sql : {
           "UPDATE orders SET note = (SELECT ssn FROM users WHERE id = 1)",  // SET = (SELECT)
           "DELETE FROM orders WHERE user_id IN (SELECT id FROM users WHERE ssn LIKE '1%')",
           "UPDATE orders SET note = 'x' WHERE EXISTS (SELECT 1 FROM users WHERE ssn = '1')",
           "INSERT INTO orders (user_id, note) VALUES (1, 'x') RETURNING (SELECT ssn FROM users)",
           "INSERT INTO log SELECT ssn FROM users",
       }) {
    const Error e = refused(alice, sql);
    BOOST_TEST(mentions(e, "pii"), sql << ": " << e.message);
  }
  BOOST_TEST(count("orders") == 1);
  BOOST_TEST(count("log") == 0);
  BOOST_TEST(rows(as("bob"), "SELECT note FROM orders") == (Rows{{"first"}}));
}

BOOST_AUTO_TEST_CASE(returning_from_a_realm_table_is_a_read) {
  Session admin = login("sec_admin");
  ok(admin, "ALTER REALM pii UNAUTHORIZE USER bob");
  ok(admin, "CREATE REALM ssn_only");
  ok(admin, "ALTER REALM ssn_only ADD COLUMN orders.note");
  // bob may write orders (granted) but the realm now guards its note column.
  const Error e = refused(as("bob"), "DELETE FROM orders RETURNING note");
  BOOST_TEST(mentions(e, "ssn_only"));
  BOOST_TEST(count("orders") == 1);
}

// ---- DDL that would move protected data out of a realm ----------------------------------------

BOOST_AUTO_TEST_CASE(copying_realm_data_into_an_unprotected_table_is_refused_even_when_authorized) {
  Session admin = login("sec_admin");
  {
    Session boot = login("dba_boot");
    ok(boot, "GRANT DBA TO bob");
  }  // every privilege, and authorized in pii
  Connection& bob = as("bob");
  BOOST_TEST(rows(bob, "SELECT count(*) FROM users") == (Rows{{"2"}}));
  for (const char* sql :
       {"CREATE TABLE leak AS SELECT ssn FROM users", "INSERT INTO log SELECT ssn FROM users",
        "UPDATE orders SET note = (SELECT ssn FROM users WHERE id = 1)"}) {
    const Error e = refused(bob, sql);
    BOOST_TEST(mentions(e, "realm pii: the statement would copy"), sql << ": " << e.message);
  }
  BOOST_TEST(count("log") == 0);
  BOOST_TEST(count("sqlite_schema WHERE name = 'leak'") == 0);
  // Into the realm's own objects it may.
  exec(bob, "UPDATE users SET name = (SELECT ssn FROM users WHERE id = 2) WHERE id = 1");
}

BOOST_AUTO_TEST_CASE(renaming_a_realm_table_or_column_is_refused_even_when_authorized) {
  Session admin = login("sec_admin");
  {
    Session boot = login("dba_boot");
    ok(boot, "GRANT DBA TO bob");
  }
  Connection& bob = as("bob");
  BOOST_TEST(mentions(refused(bob, "ALTER TABLE users RENAME TO people"), "renaming"));
  BOOST_TEST(mentions(refused(bob, "ALTER TABLE main.users RENAME COLUMN ssn TO x"), "renaming"));
  refused(as("dba_alice"), "ALTER TABLE users RENAME TO people");
  BOOST_TEST(count("users") == 2);
  exec(as("dba_alice"), "ALTER TABLE log RENAME TO journal");  // an ordinary table may
}

BOOST_AUTO_TEST_CASE(views_and_indexes_over_realm_objects) {
  Connection& alice = as("dba_alice");
  // A view whose body reads the realm: refused at creation (alice is not admitted).
  BOOST_TEST(mentions(refused(alice, "CREATE VIEW v AS SELECT ssn FROM users"), "pii"));
  BOOST_TEST(count("sqlite_schema WHERE name = 'v'") == 0);
  // An index copies the columns it covers.
  BOOST_TEST(mentions(refused(alice, "CREATE INDEX users_ssn ON users (ssn)"), "pii"));
  BOOST_TEST(mentions(refused(alice, "CREATE INDEX users_expr ON users (lower(ssn))"), "pii"));
  BOOST_TEST(count("sqlite_schema WHERE type = 'index' AND tbl_name = 'users'") == 0);
}

BOOST_AUTO_TEST_CASE(statistics_tables_never_leak_indexed_values) {
  Session admin = login("sec_admin");
  {
    Session boot = login("dba_boot");
    ok(boot, "GRANT DBA TO bob");
  }
  Connection& bob = as("bob");
  exec(bob, "CREATE INDEX users_ssn ON users (ssn)");  // bob is admitted: he may
  exec(bob, "ANALYZE users");
  Connection& alice = as("dba_alice");
  refused(alice, "ANALYZE");  // reads every table, users included
  for (const char* sql : {"SELECT * FROM sqlite_stat1", "SELECT stat FROM main.sqlite_stat1",
                          "SELECT * FROM sqlite_stat4", "DELETE FROM sqlite_stat1",
                          "INSERT INTO sqlite_stat1 VALUES ('users', 'users_ssn', '1 1')",
                          "CREATE TABLE s AS SELECT * FROM sqlite_stat1"}) {
    auto r = run_sql(alice, sql);
    BOOST_TEST_REQUIRE(!r.ok(), sql);
    // sqlite_stat4 does not exist in this build: 42P01 is as good a refusal
    const bool ok_refusal = r.error().code.code() == "42501" || r.error().code.code() == "42P01";
    BOOST_TEST(ok_refusal, sql << ": " << r.error().message);
  }
  refused(bob, "SELECT * FROM sqlite_stat1");  // whoever asks
  exec(bob, "DROP INDEX users_ssn");           // the DDL that maintains them still works
}

// ---- the engine's own surface -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(attach_detach_and_extensions_are_refused) {
  Connection& alice = as("dba_alice");
  for (const std::string& sql :
       std::vector<std::string>{"ATTACH DATABASE '" + (dir / "policy.db").string() + "' AS p",
                                std::string("ATTACH ':memory:' AS m"), std::string("DETACH m"),
                                std::string("SELECT load_extension('libevil')"),
                                std::string("SELECT fts3_tokenizer('simple')"),
                                std::string("CREATE VIRTUAL TABLE f USING fts5(x)")}) {
    const Error e = refused(alice, sql);
    BOOST_TEST(e.message.find("not allowed") != std::string::npos, sql << ": " << e.message);
  }
}

BOOST_AUTO_TEST_CASE(pragmas_that_change_the_engine_are_refused) {
  Connection& alice = as("dba_alice");
  for (const char* sql :
       {"PRAGMA writable_schema = ON", "PRAGMA journal_mode = MEMORY", "PRAGMA temp_store = FILE",
        "PRAGMA key = 'x'", "PRAGMA rekey = 'x'", "PRAGMA mmap_size = 1000000",
        "PRAGMA foreign_keys = ON", "PRAGMA synchronous = OFF", "PRAGMA integrity_check",
        "PRAGMA trusted_schema = ON", "PRAGMA schema_version = 1", "PRAGMA optimize",
        "SELECT * FROM pragma_integrity_check"}) {
    refused(alice, sql);
  }
  BOOST_TEST(rows(alice, "PRAGMA journal_mode") == (Rows{{"wal"}}));
  BOOST_TEST(rows(alice, "PRAGMA table_info(log)").size() == 1);  // metadata is readable
}

BOOST_AUTO_TEST_CASE(the_schema_and_the_engines_own_table_cannot_be_written) {
  Connection& alice = as("dba_alice");
  for (const char* sql :
       {"UPDATE sqlite_schema SET sql = 'CREATE TABLE users (id)' WHERE name = 'users'",
        "DELETE FROM sqlite_master WHERE name = 'users'",
        "INSERT INTO dbvault_body_creators VALUES ('main', 't', 'trigger', 1, 'sec_admin')",
        "DELETE FROM dbvault_body_creators", "SELECT * FROM dbvault_body_creators",
        "DROP TABLE dbvault_body_creators",
        "CREATE TRIGGER t AFTER INSERT ON dbvault_body_creators BEGIN SELECT 1; END"}) {
    auto r = run_sql(alice, sql);
    BOOST_TEST_REQUIRE(!r.ok(), sql);
    const bool ok_refusal = r.error().code.code() == "42501" ||
                            r.error().message.find("may not be modified") != std::string::npos;
    BOOST_TEST(ok_refusal, sql << ": " << r.error().message);
  }
  BOOST_TEST(count("users") == 2);
}

BOOST_AUTO_TEST_CASE(no_path_reaches_the_vaults_own_files) {
  Session admin = login("sec_admin");
  {
    Session boot = login("dba_boot");
    ok(boot, "GRANT DBA TO bob");
  }
  Connection& bob = as("bob");
  ok(bob.session(), "UNLOCK REALM fin PASSWORD 'fin-secret-2025'");  // admitted everywhere now
  // With realms enforcing, VACUUM INTO is refused before any path is looked at (it would copy
  // realm data into a file, below); the file policy is checked with the vault disabled.
  ok(admin, "ALTER DATABASE DISABLE DATABASE VAULT");
  for (const std::filesystem::path& target : {dir / "keys" / "copy.db", dir / "audit" / "copy.db",
                                              dir / "data" / "copy.db", dir / "policy.db"}) {
    const Error e = refused(bob, "VACUUM INTO '" + target.string() + "'");
    BOOST_TEST(e.message.find("may not write") != std::string::npos, target << ": " << e.message);
    const bool untouched = !std::filesystem::exists(target) || target == dir / "policy.db";
    BOOST_TEST(untouched);
  }
  refused(bob, "VACUUM INTO 'file:" + (dir / "x.db").string() + "?vfs=unix-none'");
  refused(bob, "ATTACH '" + (dir / "policy.db").string() + "' AS p");
  const auto outside = dir / "backup.db";
  exec(bob, "VACUUM INTO '" + outside.string() + "'");  // elsewhere, with no realm enforcing
  BOOST_TEST(std::filesystem::exists(outside));
  // Containment: a copy into a file leaves every realm, even for a session admitted to all.
  ok(admin, "ALTER DATABASE ENABLE DATABASE VAULT");
  const auto copy = dir / "backup2.db";
  const Error e = refused(bob, "VACUUM INTO '" + copy.string() + "'");
  BOOST_TEST(e.message.find("VACUUM INTO would copy") != std::string::npos, e.message);
  BOOST_TEST(!std::filesystem::exists(copy));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::storage::test
