// translate(): what psql, pgbench and drivers send, statement by statement, with the exact
// SQL they send (captured from psql 15 / pgbench 15 with log_statement=all).
#include <boost/test/unit_test.hpp>

#include "tests/server/pgcompat_fixture.h"

using namespace dbvault;
using namespace dbvault::server::pgcompat;
using test::PgSession;

BOOST_AUTO_TEST_SUITE(pgcompat_translate)

BOOST_AUTO_TEST_CASE(ordinary_sql_passes_unchanged) {
  PgSession s;
  const std::string q = "SELECT abalance FROM pgbench_accounts WHERE aid = 10801;";
  BOOST_TEST(s.rewritten(q) == q);
  BOOST_TEST(s.rewritten("select 'it''s :: $1' -- $2::int\n, \"a::b\"") ==
             "select 'it''s :: $1' -- $2::int\n, \"a::b\"");
}

BOOST_AUTO_TEST_CASE(dollar_parameters_become_numbered_sqlite_parameters) {
  PgSession s;
  BOOST_TEST(s.rewritten("UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2;") ==
             "UPDATE pgbench_accounts SET abalance = abalance + ?1 WHERE aid = ?2;");
  BOOST_TEST(s.rewritten("SELECT $2, $1, $2") == "SELECT ?2, ?1, ?2");
  BOOST_TEST(s.error_code("SELECT $0") == "42601");
  BOOST_TEST(s.error_code("SELECT ?") == "42601");  // SQLite's markers mean nothing to clients
  BOOST_TEST(s.error_code("SELECT :name") == "42601");
}

BOOST_AUTO_TEST_CASE(casts_become_pg_cast_calls) {
  PgSession s;
  BOOST_TEST(s.rewritten("SELECT x::int FROM t") == "SELECT pg_cast(x, 'int4') AS \"x\" FROM t");
  BOOST_TEST(s.rewritten("SELECT t.x::bigint, '1'::double precision") ==
             "SELECT pg_cast(t.x, 'int8') AS \"x\", pg_cast('1', 'float8') AS \"float8\"");
  BOOST_TEST(s.rewritten("SELECT f(a, b)::text::varchar(3)") ==
             "SELECT pg_cast(pg_cast(f(a, b), 'text'), 'varchar(3)') AS \"f\"");
  BOOST_TEST(s.rewritten("SELECT (a + 1)::numeric(10,2)") ==
             "SELECT pg_cast((a + 1), 'numeric(10,2)') AS \"numeric\"");
  BOOST_TEST(s.rewritten("SELECT CASE WHEN a THEN 1 ELSE 2 END::text") ==
             "SELECT pg_cast(CASE WHEN a THEN 1 ELSE 2 END, 'text') AS \"case\"");
  BOOST_TEST(s.rewritten("SELECT $1::timestamp with time zone") ==
             "SELECT pg_cast(?1, 'timestamptz') AS \"timestamptz\"");
  BOOST_TEST(s.rewritten("SELECT -1::int") ==
             "SELECT -pg_cast(1, 'int4')");  // :: binds tighter than -
  BOOST_TEST(s.rewritten("SELECT 1.5::pg_catalog.int4") ==
             "SELECT pg_cast(1.5, 'int4') AS \"int4\"");
  BOOST_TEST(s.error_code("SELECT x::regclass") == "0A000");
  BOOST_TEST(s.error_code("SELECT x::interval") == "0A000");
  BOOST_TEST(s.error_code("SELECT ::int") == "42601");
}

BOOST_AUTO_TEST_CASE(casts_follow_postgresql_conversion_rules) {
  PgSession s;
  BOOST_TEST(s.run("SELECT 3.7::int") == "4");  // SQLite's CAST would truncate to 3
  BOOST_TEST(s.run("SELECT '42'::int + 1") == "43");
  BOOST_TEST(s.run("SELECT 'abc'::int") == "ERROR 22P02");  // refused, not 0 as CAST would give
  BOOST_TEST(s.run("SELECT 't'::boolean") == "1");
  BOOST_TEST(s.run("SELECT 'abcdef'::varchar(3)") == "abc");
  BOOST_TEST(s.run("SELECT 70000::smallint") == "ERROR 22003");
  BOOST_TEST(s.run("SELECT NULL::int") == "NULL");
}

// A literal cast to a date/time type is stored in the canonical form a bound timestamp
// parameter gets (docs/protocol.md, decode_param), so that psycopg2's interpolated
// '2025-10-11T04:30:05.123456'::timestamp equals a driver's binary timestamp parameter.
BOOST_AUTO_TEST_CASE(date_time_casts_give_the_canonical_text_of_bound_parameters) {
  PgSession s;
  BOOST_TEST(s.run("SELECT '2025-10-11T04:30:05.123456'::timestamp") ==
             "2025-10-11 04:30:05.123456");
  BOOST_TEST(s.run("SELECT '2025-10-11 04:30'::timestamp") == "2025-10-11 04:30:00");
  BOOST_TEST(s.run("SELECT '2025-10-11 06:30:05+02'::timestamptz") == "2025-10-11 04:30:05");
  BOOST_TEST(s.run("SELECT '2025-10-11T04:30:05'::date") == "2025-10-11");
  BOOST_TEST(s.run("SELECT '2025-13-11'::timestamp") == "ERROR 22007");
}

// A Describe before any row must still type expression columns as PostgreSQL does: asyncpg,
// pgx and pgjdbc decode every later row by it.
BOOST_AUTO_TEST_CASE(result_types_of_expressions_come_from_the_text) {
  using V = std::vector<std::uint32_t>;
  BOOST_TEST(infer_result_types("SELECT $1::integer + 1, count(*), 'a', 1.5, x, x = 1 FROM t") ==
             (V{23, 20, 25, 1700, 0, 16}));
  BOOST_TEST(infer_result_types("SELECT $1::bigint * 2, 2 + 1.5::float8, now()") ==
             (V{20, 701, 1184}));
  BOOST_TEST(infer_result_types("SELECT *, 1 FROM t").empty());
  BOOST_TEST(infer_result_types("SELECT 1 UNION SELECT 2").empty());
  BOOST_TEST(infer_result_types("INSERT INTO t VALUES (1)").empty());
}

// What asyncpg's pool sends when a connection comes back (Connection._get_reset_query).
BOOST_AUTO_TEST_CASE(a_pool_reset_query_runs) {
  PgSession s;
  BOOST_TEST(s.run("SELECT pg_advisory_unlock_all()") == "NULL");
  for (const char* sql : {"CLOSE ALL", "UNLISTEN *", "RESET ALL"}) {
    BOOST_TEST_CONTEXT(sql) { BOOST_TEST(!s.run(sql).starts_with("ERROR")); }
  }
}

BOOST_AUTO_TEST_CASE(session_functions_answer_from_settings) {
  PgSession s;
  BOOST_TEST(s.run("SELECT version()").starts_with("PostgreSQL 15.0 (dbvault 0.1)"));
  BOOST_TEST(s.run("SELECT current_user") == "alice");
  BOOST_TEST(s.run("SELECT session_user") == "alice");
  BOOST_TEST(s.run("SELECT current_database()") == "dbvault");
  BOOST_TEST(s.run("SELECT pg_backend_pid()") == "4242");
  BOOST_TEST(s.run("SELECT current_setting('DateStyle')") == "ISO, MDY");
  BOOST_TEST(s.run("SELECT current_setting('nope', true)") == "NULL");
  BOOST_TEST(s.run("SELECT pg_catalog.version()").starts_with("PostgreSQL"));
  BOOST_TEST(s.run("SELECT now()").size() == std::string("2026-12-01 09:22:22.123456+00").size());
}

BOOST_AUTO_TEST_CASE(like_is_case_sensitive_with_backslash_escape) {
  PgSession s;
  BOOST_TEST(s.run("SELECT 'ABC' LIKE 'abc'") == "0");  // SQLite's own LIKE says 1
  BOOST_TEST(s.run("SELECT 'a_c' LIKE 'a\\_c'") == "1");
  BOOST_TEST(s.run("SELECT 'abc' LIKE 'a\\_c'") == "0");
  BOOST_TEST(s.run("SELECT 'ABC' ILIKE 'a%'") == "1");
  BOOST_TEST(s.run("SELECT 'héllo' LIKE 'h_llo'") == "1");
  BOOST_TEST(
      s.run(
          "SELECT 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' LIKE '%a%a%a%a%a%a%a%a%a%a%a%a%b'") ==
      "0");
}

BOOST_AUTO_TEST_CASE(postgresql_lexical_forms_the_engine_misreads_are_refused) {
  PgSession s;
  BOOST_TEST(s.error_code("SELECT $$text$$") == "0A000");
  BOOST_TEST(s.error_code("SELECT E'a\\nb'") == "0A000");
  BOOST_TEST(s.error_code("SELECT /* a /* nested */ 1 */ 2") == "0A000");
  BOOST_TEST(s.error_code("SELECT ARRAY[1,2]") == "0A000");
  BOOST_TEST(s.error_code("SELECT a[1] FROM t") == "0A000");
  BOOST_TEST(s.error_code("SELECT 'x' ILIKE 'y' ESCAPE '#'") == "0A000");
}

BOOST_AUTO_TEST_CASE(pgbench_initialisation_statements) {
  PgSession s;
  BOOST_TEST(s.rewritten("drop table if exists pgbench_accounts, pgbench_branches, "
                         "pgbench_history, pgbench_tellers") ==
             "DROP TABLE IF EXISTS pgbench_accounts; DROP TABLE IF EXISTS pgbench_branches; "
             "DROP TABLE IF EXISTS pgbench_history; DROP TABLE IF EXISTS pgbench_tellers");
  BOOST_TEST(
      s.rewritten("create table pgbench_tellers(tid int not null,bid int,tbalance int,filler "
                  "char(84)) with (fillfactor=100)") ==
      "create table pgbench_tellers(tid int not null,bid int,tbalance int,filler char(84)) ");
  BOOST_TEST(s.rewritten("create table pgbench_history(tid int,bid int,aid    int,delta int,mtime "
                         "timestamp,filler char(22))") ==
             "create table pgbench_history(tid int,bid int,aid    int,delta int,mtime "
             "timestamp,filler char(22))");
  s.exec("create table pgbench_branches(bid int not null,bbalance int,filler char(88))");
  s.exec("create table pgbench_history(tid int,bid int)");
  BOOST_TEST(s.rewritten("truncate table pgbench_branches, pgbench_history") ==
             "DELETE FROM pgbench_branches; DELETE FROM pgbench_history");
  auto t = s.translate("truncate pgbench_history");
  BOOST_TEST(std::get<Rewritten>(*t).tag == "TRUNCATE TABLE");
  auto v = s.translate("vacuum analyze pgbench_branches");
  BOOST_TEST(std::get<ResultSet>(*v).tag == "VACUUM");
  BOOST_TEST(s.rewritten("alter table pgbench_branches add primary key (bid)") ==
             "CREATE UNIQUE INDEX \"pgbench_branches_pkey\" /* primary key */ ON pgbench_branches "
             "(\"bid\")");
  BOOST_TEST(s.run("alter table pgbench_branches add primary key (bid)") == "(no rows)");
  BOOST_TEST(s.error_code("alter table pgbench_branches add primary key (bid)") == "42P16");
  BOOST_TEST(s.error_code("alter table pgbench_history add primary key (tid)") ==
             "0A000");  // tid may be NULL
  s.exec("INSERT INTO pgbench_branches VALUES (1, 0, '')");
  BOOST_TEST(s.run("INSERT INTO pgbench_branches VALUES (1, 0, '')") == "ERROR 23505");
}

BOOST_AUTO_TEST_CASE(create_table_gets_postgresql_key_semantics) {
  PgSession s;
  BOOST_TEST(s.rewritten("CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL)") ==
             "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name text NOT NULL)");
  BOOST_TEST(s.rewritten("CREATE TABLE k (code varchar(10) PRIMARY KEY)") ==
             "CREATE TABLE k (code varchar(10) PRIMARY KEY NOT NULL)");
  BOOST_TEST(s.rewritten("CREATE TABLE k2 (a int, b int, PRIMARY KEY (a, b))") ==
             "CREATE TABLE k2 (a int NOT NULL, b int NOT NULL, PRIMARY KEY (a, b))");
  BOOST_TEST(
      s.rewritten("CREATE TABLE d (t timestamptz DEFAULT now(), u text DEFAULT current_user)") ==
      "CREATE TABLE d (t timestamptz DEFAULT (now()), u text DEFAULT ((current_user())))");
  BOOST_TEST(s.rewritten("CREATE UNLOGGED TABLE u (a int)") == "CREATE TABLE u (a int)");
  BOOST_TEST(s.error_code("CREATE TABLE s (n serial)") == "0A000");
  BOOST_TEST(s.error_code("CREATE TABLE s (n int) WITH (oids=true)") == "0A000");
  BOOST_TEST(s.error_code("CREATE TABLE s (n int) INHERITS (t)") == "0A000");
  BOOST_TEST(s.run("CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL, created "
                   "timestamptz DEFAULT now())") == "(no rows)");
  BOOST_TEST(s.run("INSERT INTO users (name) VALUES ('a') RETURNING id") == "1");
  BOOST_TEST(s.run("CREATE TABLE k (code varchar(10) PRIMARY KEY)") == "(no rows)");
  BOOST_TEST(s.run("INSERT INTO k VALUES (NULL)") == "ERROR 23502");  // SQLite alone accepts it
}

namespace {

std::string tag_of(PgSession& s, std::string_view sql) {
  auto t = s.translate(sql);
  if (!t) return "ERROR " + std::string(t.error().code.code());
  if (auto* r = std::get_if<ResultSet>(&*t))
    return r->tag + (r->notice.empty() ? "" : " (warning)");
  const auto& rw = std::get<Rewritten>(*t);
  return rw.statements.front() + " -> " + rw.tag;
}

}  // namespace

BOOST_AUTO_TEST_CASE(transaction_statements_follow_postgresql_rules) {
  PgSession s;
  BOOST_TEST(tag_of(s, "COMMIT") ==
             "COMMIT (warning)");  // no transaction: a warning, not SQLite's error
  BOOST_TEST(tag_of(s, "SAVEPOINT a") == "ERROR 25P01");  // SQLite would open a transaction
  BOOST_TEST(tag_of(s, "BEGIN ISOLATION LEVEL REPEATABLE READ") == "BEGIN -> BEGIN");
  BOOST_TEST(*s.settings().show("transaction_isolation") == "repeatable read");
  BOOST_TEST(tag_of(s, "begin") == "BEGIN (warning)");
  BOOST_TEST(tag_of(s, "SET application_name = 'in_tx'") == "SET");
  BOOST_TEST(tag_of(s, "SAVEPOINT a") == "SAVEPOINT a -> SAVEPOINT");
  BOOST_TEST(tag_of(s, "RELEASE a") == "RELEASE SAVEPOINT a -> RELEASE");
  BOOST_TEST(tag_of(s, "ROLLBACK") == "ROLLBACK -> ROLLBACK");
  BOOST_TEST(*s.settings().show("application_name") == "");  // undone with the transaction

  BOOST_TEST(tag_of(s, "START TRANSACTION READ WRITE") == "BEGIN -> BEGIN");
  s.settings().on_statement_failed();  // the engine failed a statement
  BOOST_TEST(tag_of(s, "SELECT 1") == "ERROR 25P02");
  BOOST_TEST(tag_of(s, "END") == "ROLLBACK -> ROLLBACK");  // a failed block cannot commit
  BOOST_TEST(!s.settings().in_transaction());

  BOOST_TEST(tag_of(s, "BEGIN") == "BEGIN -> BEGIN");
  BOOST_TEST(tag_of(s, "SAVEPOINT sp") == "SAVEPOINT sp -> SAVEPOINT");
  BOOST_TEST(tag_of(s, "SELECT $$x$$") ==
             "ERROR 0A000");  // translate's own error fails the block too
  BOOST_TEST(tag_of(s, "ROLLBACK TO SAVEPOINT sp") == "ROLLBACK TO SAVEPOINT sp -> ROLLBACK");
  BOOST_TEST(tag_of(s, "SELECT 1") == "SELECT 1 -> ");
  BOOST_TEST(tag_of(s, "COMMIT AND CHAIN") == "ERROR 0A000");
  BOOST_TEST(tag_of(s, "ROLLBACK") == "ROLLBACK -> ROLLBACK");
}

// The session layer's implicit block around a query string of several statements
// (PostgreSQL's TBLOCK_IMPLICIT_INPROGRESS): a block for SET LOCAL, COMMIT and DISCARD ALL,
// none for savepoints, and BEGIN makes it an ordinary one without a warning.
BOOST_AUTO_TEST_CASE(implicit_block_of_a_multi_statement_query) {
  PgSession s;
  // Each error ends the implicit block in the server (it rolls the string back).
  for (const char* sql :
       {"SAVEPOINT a", "RELEASE SAVEPOINT a", "ROLLBACK TO SAVEPOINT a", "DISCARD ALL"}) {
    s.settings().on_transaction_begin(/*implicit=*/true);
    BOOST_TEST(s.settings().in_implicit_block());
    BOOST_TEST(tag_of(s, sql) == (sql[0] == 'D' ? "ERROR 25001" : "ERROR 25P01"), sql);
    s.settings().on_transaction_end(false);
  }
  s.settings().on_transaction_begin(/*implicit=*/true);
  BOOST_TEST(tag_of(s, "SET LOCAL application_name = 'local'") == "SET");
  BOOST_TEST(*s.settings().show("application_name") == "local");
  BOOST_TEST(tag_of(s, "COMMIT") == "COMMIT -> COMMIT");  // ends it: the engine commits
  BOOST_TEST(!s.settings().in_transaction());
  BOOST_TEST(*s.settings().show("application_name") == "");

  s.settings().on_transaction_begin(/*implicit=*/true);
  BOOST_TEST(tag_of(s, "SET application_name = 'before_begin'") == "SET");
  // The engine's transaction is already open: no engine BEGIN, and no warning.
  BOOST_TEST(tag_of(s, "BEGIN READ ONLY") == "BEGIN");
  BOOST_TEST(s.settings().in_transaction());
  BOOST_TEST(!s.settings().in_implicit_block());
  BOOST_TEST(*s.settings().show("transaction_read_only") == "on");
  BOOST_TEST(tag_of(s, "SAVEPOINT a") == "SAVEPOINT a -> SAVEPOINT");
  BOOST_TEST(tag_of(s, "BEGIN") == "BEGIN (warning)");
  BOOST_TEST(tag_of(s, "ROLLBACK") == "ROLLBACK -> ROLLBACK");
  BOOST_TEST(*s.settings().show("application_name") == "");  // the SET before BEGIN too

  s.settings().on_transaction_begin(/*implicit=*/true);
  BOOST_TEST(tag_of(s, "BEGIN ISOLATION LEVEL NONSENSE") == "ERROR 42601");
  BOOST_TEST(s.settings().in_implicit_block());  // still the implicit block (rolled back whole)
  s.settings().on_transaction_end(false);
  BOOST_TEST(!s.settings().in_implicit_block());
}

BOOST_AUTO_TEST_CASE(set_show_reset_as_drivers_send_them) {
  PgSession s;
  BOOST_TEST(tag_of(s, "SET extra_float_digits = 3") == "SET");                       // pgjdbc
  BOOST_TEST(tag_of(s, "SET application_name = 'PostgreSQL JDBC Driver'") == "SET");  // pgjdbc
  BOOST_TEST(tag_of(s, "SET datestyle TO 'ISO'") == "SET");                           // psycopg2
  BOOST_TEST(tag_of(s, "SET SESSION TIME ZONE 'Europe/Paris'") == "SET");
  BOOST_TEST(tag_of(s, "SET search_path TO \"$user\", public") == "SET");
  BOOST_TEST(s.run("SHOW search_path") == "\"$user\", public");
  BOOST_TEST(s.run("SHOW TIME ZONE") == "Europe/Paris");
  BOOST_TEST(s.run("SHOW extra_float_digits") == "3");
  BOOST_TEST(s.run("SHOW DateStyle") == "ISO, MDY");
  BOOST_TEST(s.run("SHOW transaction isolation level") == "serializable");
  BOOST_TEST(s.run("SELECT current_setting('application_name')") == "PostgreSQL JDBC Driver");
  BOOST_TEST(tag_of(s, "SET statement_timeout = 0") == "SET");
  BOOST_TEST(tag_of(s, "SET LOCAL lock_timeout = '1s'") == "SET");
  BOOST_TEST(tag_of(s, "SET ROLE dba") == "ERROR 0A000");
  BOOST_TEST(tag_of(s, "SET SESSION AUTHORIZATION dba") == "ERROR 0A000");
  BOOST_TEST(tag_of(s, "SET vault.enabled = off") == "ERROR 42501");
  BOOST_TEST(tag_of(s, "SHOW nope") == "ERROR 42704");
  BOOST_TEST(tag_of(s, "RESET ALL") == "RESET");
  BOOST_TEST(s.run("SHOW application_name") == "");
  auto all = s.translate("SHOW ALL");
  BOOST_TEST(std::get<ResultSet>(*all).columns.size() == 3u);
  BOOST_TEST(std::get<ResultSet>(*all).rows.size() > 20u);
}

BOOST_AUTO_TEST_CASE(session_resets_poolers_send) {
  PgSession s;
  BOOST_TEST(tag_of(s, "SET application_name = 'pooled'") == "SET");
  auto discard = s.translate("DISCARD ALL");  // pgbouncer's server_reset_query
  BOOST_TEST(std::get<ResultSet>(*discard).tag == "DISCARD ALL");
  BOOST_TEST((std::get<ResultSet>(*discard).deallocate == std::optional<std::string>("")));
  BOOST_TEST(s.run("SHOW application_name") == "");
  auto one = s.translate("DEALLOCATE PREPARE stmt_1");
  BOOST_TEST((std::get<ResultSet>(*one).deallocate == std::optional<std::string>("stmt_1")));
  BOOST_TEST(tag_of(s, "CLOSE ALL") == "CLOSE CURSOR ALL");  // asyncpg's pool reset
  BOOST_TEST(tag_of(s, "UNLISTEN *") == "UNLISTEN");
  BOOST_TEST(tag_of(s, "BEGIN") == "BEGIN -> BEGIN");
  BOOST_TEST(tag_of(s, "DISCARD ALL") == "ERROR 25001");
}

BOOST_AUTO_TEST_CASE(nulls_sort_last_in_ascending_order_as_in_postgresql) {
  PgSession s;
  BOOST_TEST(s.rewritten("SELECT a FROM t ORDER BY a, b DESC, c NULLS FIRST LIMIT 3") ==
             "SELECT a FROM t ORDER BY a NULLS LAST, b DESC NULLS FIRST, c NULLS FIRST LIMIT 3");
  BOOST_TEST(
      s.rewritten("SELECT row_number() OVER (ORDER BY x ROWS UNBOUNDED PRECEDING) AS n FROM t") ==
      "SELECT row_number() OVER (ORDER BY x NULLS LAST ROWS UNBOUNDED PRECEDING) AS n FROM t");
  s.exec("CREATE TABLE n (v int)");
  s.exec("INSERT INTO n VALUES (2), (NULL), (1)");
  BOOST_TEST(s.run("SELECT v FROM n ORDER BY v") == "1");  // SQLite alone: NULL first
  BOOST_TEST(s.run("SELECT v FROM n ORDER BY v DESC") ==
             "NULL");  // PostgreSQL: NULLS FIRST for DESC
}

BOOST_AUTO_TEST_CASE(unnamed_columns_get_postgresql_names) {
  PgSession s;
  BOOST_TEST(s.rewritten("select count(*) from pgbench_branches") ==
             "select count(*) AS \"count\" from pgbench_branches");
  BOOST_TEST(s.rewritten("SELECT x::int, t.y::text, 1::bigint, version(), current_user, CASE WHEN "
                         "a THEN 1 END FROM t") ==
             "SELECT pg_cast(x, 'int4') AS \"x\", pg_cast(t.y, 'text') AS \"y\", pg_cast(1, "
             "'int8') AS \"int8\", "
             "version() AS \"version\", (current_user()) AS \"current_user\", CASE WHEN a THEN 1 "
             "END AS \"case\" FROM t");
  BOOST_TEST(s.rewritten("SELECT count(*) AS n, max(a) m, a + 1, b FROM t") ==
             "SELECT count(*) AS n, max(a) m, a + 1, b FROM t");
}

BOOST_AUTO_TEST_CASE(row_locks_and_index_storage_options) {
  PgSession s;
  BOOST_TEST(s.rewritten("SELECT * FROM jobs WHERE id = $1 FOR UPDATE") ==
             "SELECT * FROM jobs WHERE id = ?1 ");
  BOOST_TEST(s.rewritten("SELECT a FROM t ORDER BY a FOR NO KEY UPDATE OF t NOWAIT") ==
             "SELECT a FROM t ORDER BY a NULLS LAST ");
  BOOST_TEST(s.error_code("SELECT * FROM jobs FOR UPDATE SKIP LOCKED") == "0A000");
  BOOST_TEST(s.error_code("SELECT * FROM jobs FOR UPDATE OF") == "42601");
  BOOST_TEST(s.rewritten("CREATE INDEX CONCURRENTLY users_name ON ONLY public.users USING btree "
                         "(name) WITH (fillfactor=90)") ==
             "CREATE INDEX  users_name ON  users  (name) ");
  BOOST_TEST(s.error_code("CREATE INDEX g ON users USING gin (tags)") == "0A000");
  BOOST_TEST(s.error_code("CREATE INDEX i ON users (a) INCLUDE (b)") == "0A000");
  BOOST_TEST(s.rewritten("CREATE INDEX i ON users (a) WHERE a > 0") ==
             "CREATE INDEX i ON users (a) WHERE a > 0");
}

BOOST_AUTO_TEST_SUITE_END()
