// What the session layer asks besides translate(): COPY specs, parameter types for
// ParameterDescription, and engine errors said the PostgreSQL way.
#include <boost/test/unit_test.hpp>

#include "tests/server/pgcompat_fixture.h"

using namespace dbvault;
using namespace dbvault::server::pgcompat;
using test::PgSession;

namespace {

struct BenchSession : PgSession {
  BenchSession() {
    exec("create table pgbench_accounts(aid int not null,bid int,abalance int,filler char(84))");
    exec(
        "create table pgbench_history(tid int,bid int,aid int,delta int,mtime timestamp,filler "
        "char(22))");
    exec(
        "create table users(id INTEGER PRIMARY KEY, name text, score double precision, ok "
        "boolean)");
  }
  CopySpec copy(std::string_view sql) {
    auto t = translate(sql);
    BOOST_REQUIRE_MESSAGE(t.ok(), sql << ": " << (t.ok() ? "" : t.error().message));
    BOOST_REQUIRE(std::holds_alternative<CopySpec>(*t));
    return std::get<CopySpec>(*t);
  }
  std::vector<std::uint32_t> types(std::string_view sql, int n) {
    return infer_parameter_types(sql, n, catalog());
  }
};

using U = std::vector<std::uint32_t>;

}  // namespace

BOOST_AUTO_TEST_SUITE(pgcompat_engine)

BOOST_AUTO_TEST_CASE(copy_statements_pgbench_and_psql_send) {
  BenchSession s;
  const CopySpec pgbench = s.copy("copy pgbench_accounts from stdin with (freeze on)");
  BOOST_TEST((pgbench.direction == CopySpec::Direction::kFrom));
  BOOST_TEST((pgbench.format == CopySpec::Format::kText));
  BOOST_TEST(pgbench.table == "pgbench_accounts");
  BOOST_TEST((pgbench.columns == std::vector<std::string>{"aid", "bid", "abalance", "filler"}));
  BOOST_TEST(pgbench.delimiter == '\t');
  BOOST_TEST(pgbench.null_string == "\\N");

  const CopySpec csv =
      s.copy("COPY users(name) TO STDOUT WITH CSV HEADER");  // psycopg2 copy_expert
  BOOST_TEST((csv.direction == CopySpec::Direction::kTo));
  BOOST_TEST((csv.format == CopySpec::Format::kCsv));
  BOOST_TEST((csv.columns == std::vector<std::string>{"name"}));
  BOOST_TEST(csv.header);
  BOOST_TEST(csv.delimiter == ',');
  BOOST_TEST(csv.null_string == "");

  const CopySpec psql = s.copy(
      "COPY  users ( id, name ) FROM STDIN (FORMAT csv, DELIMITER ';', NULL 'NULL')");  // \copy
  BOOST_TEST(psql.delimiter == ';');
  BOOST_TEST(psql.null_string == "NULL");

  const CopySpec query = s.copy("COPY (SELECT id::text FROM users WHERE id > $1) TO STDOUT");
  BOOST_TEST(query.table.empty());
  BOOST_TEST(query.query == "SELECT pg_cast(id, 'text') FROM users WHERE id > ?1");
}

BOOST_AUTO_TEST_CASE(copy_refuses_files_programs_binary_and_unknown_columns) {
  BenchSession s;
  BOOST_TEST(s.error_code("COPY users FROM '/etc/passwd'") == "42501");
  BOOST_TEST(s.error_code("COPY users TO PROGRAM 'sh -c id'") == "42501");
  BOOST_TEST(s.error_code("COPY users TO STDOUT (FORMAT binary)") == "0A000");
  BOOST_TEST(s.error_code("COPY users (nope) FROM STDIN") == "42703");
  BOOST_TEST(s.error_code("COPY nope FROM STDIN") == "42P01");
  BOOST_TEST(s.error_code("COPY users FROM STDIN (QUOTE '\"')") == "0A000");  // CSV only
}

BOOST_AUTO_TEST_CASE(parameter_types_come_from_the_columns_they_meet) {
  BenchSession s;
  // pgbench -M prepared / extended
  BOOST_TEST((s.types("UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2;", 2) ==
              U{type_oid::kInt4, type_oid::kInt4}));
  BOOST_TEST(
      (s.types("SELECT abalance FROM pgbench_accounts WHERE aid = $1;", 1) == U{type_oid::kInt4}));
  BOOST_TEST((s.types("INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, "
                      "$3, $4, CURRENT_TIMESTAMP);",
                      4) == U{type_oid::kInt4, type_oid::kInt4, type_oid::kInt4, type_oid::kInt4}));
  BOOST_TEST((s.types("INSERT INTO users VALUES ($1, $2, $3, $4)", 4) ==
              U{type_oid::kInt4, type_oid::kText, type_oid::kFloat8, type_oid::kBool}));
  BOOST_TEST((s.types("SELECT * FROM users u WHERE u.score > $1 AND name LIKE $2 LIMIT $3", 3) ==
              U{type_oid::kFloat8, type_oid::kText, type_oid::kInt8}));
  BOOST_TEST((s.types("SELECT $1::bigint, $2", 2) == U{type_oid::kInt8, type_oid::kText}));
  BOOST_TEST((s.types("SELECT * FROM users WHERE id IN ($1, $2)", 2) ==
              U{type_oid::kInt4, type_oid::kInt4}));
  BOOST_TEST((s.types("INSERT OR REPLACE INTO users VALUES ($1)", 1) ==
              U{type_oid::kText}));  // not PostgreSQL
}

BOOST_AUTO_TEST_CASE(engine_errors_get_postgresql_sqlstates) {
  BOOST_TEST(explain_engine_error("SELECT * FROM nope", "no such table: nope").code.code() ==
             "42P01");
  BOOST_TEST(explain_engine_error("SELECT nope FROM t", "no such column: nope").code.code() ==
             "42703");
  BOOST_TEST(explain_engine_error("INSERT ...", "UNIQUE constraint failed: t.a").code.code() ==
             "23505");
  BOOST_TEST(explain_engine_error("INSERT ...", "NOT NULL constraint failed: t.a").code.code() ==
             "23502");
  BOOST_TEST(explain_engine_error("CREATE TABLE t (a)", "table t already exists").code.code() ==
             "42P07");
  BOOST_TEST(explain_engine_error("UPDATE t SET a = 1", "database is locked").code.code() ==
             "40001");
}

BOOST_AUTO_TEST_CASE(postgresql_syntax_the_engine_lacks_is_named) {
  BenchSession s;
  struct Case {
    const char* sql;
    const char* feature;
  };
  for (const Case c : {Case{"SELECT DISTINCT ON (name) name FROM users", "DISTINCT ON"},
                       Case{"SELECT * FROM users TABLESAMPLE SYSTEM (10)", "TABLESAMPLE"},
                       Case{"SELECT name FROM users WHERE name ~ '^a'", "regular-expression"},
                       Case{"CREATE SEQUENCE s", "CREATE SEQUENCE"},
                       Case{"SELECT greatest(1, 2)", ""},  // SQLite lacks the function: 42883
                       Case{"LISTEN channel", "LISTEN"}}) {
    const std::string got = s.run(c.sql);
    if (std::string_view(c.feature).empty()) {
      BOOST_TEST(got == "ERROR 42883", c.sql);
      continue;
    }
    BOOST_TEST(got == "ERROR 0A000", c.sql);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(s.db(), c.sql, -1, &st, nullptr);
    const Error e = explain_engine_error(c.sql, sqlite3_errmsg(s.db()));
    sqlite3_finalize(st);
    BOOST_TEST(e.message.find(c.feature) != std::string::npos, e.message);
    BOOST_TEST(e.message.find("PostgreSQL syntax the embedded engine does not support") !=
               std::string::npos);
  }
  // Not PostgreSQL either: PostgreSQL's own syntax error and position.
  const Error e = explain_engine_error("SELEC 1", "near \"SELEC\": syntax error");
  BOOST_TEST(e.code.code() == "42601");
  BOOST_TEST(e.position == 1);
}

BOOST_AUTO_TEST_CASE(read_only_transactions_refuse_writes) {
  BenchSession s;
  BOOST_TEST(s.run("BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY") ==
             "(no rows)");  // psycopg2's form
  BOOST_TEST(s.run("SELECT count(*) FROM users") == "0");
  BOOST_TEST(s.error_code("INSERT INTO users (name) VALUES ('x')") == "25006");
  BOOST_TEST(s.error_code("COPY users FROM STDIN") == "25P02");  // the block failed above
  BOOST_TEST(s.run("ROLLBACK") == "(no rows)");
  BOOST_TEST(s.error_code("INSERT INTO users (name) VALUES ('x')") == "ok");
}

BOOST_AUTO_TEST_SUITE_END()
