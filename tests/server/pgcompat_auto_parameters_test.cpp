// auto_parameterize(): which literals it binds, which statements it declines, and — the
// property that matters — that a statement run with its literals bound gives the same column
// names, types and rows as the statement as written, on a real SQLite database.
#include <sqlite3.h>

#include <boost/test/unit_test.hpp>
#include <memory>
#include <string>
#include <vector>

#include "server/pgcompat/auto_parameters.h"

using dbvault::server::pgcompat::auto_parameterize;

namespace {

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct FinalizeStmt {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

// Everything a client sees of a statement's run: column names, then per row each value's
// type and text; or the error.
std::vector<std::string> run(sqlite3* db, const std::string& sql,
                             const std::vector<std::variant<std::int64_t, std::string>>& values) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
    return {std::string("error: ") + sqlite3_errmsg(db)};
  }
  std::unique_ptr<sqlite3_stmt, FinalizeStmt> st(raw);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const int n = static_cast<int>(i) + 1;
    if (const auto* v = std::get_if<std::int64_t>(&values[i])) {
      sqlite3_bind_int64(raw, n, *v);
    } else {
      const auto& s = std::get<std::string>(values[i]);
      sqlite3_bind_text(raw, n, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    }
  }
  std::vector<std::string> out;
  for (int c = 0; c < sqlite3_column_count(raw); ++c) out.emplace_back(sqlite3_column_name(raw, c));
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    for (int c = 0; c < sqlite3_column_count(raw); ++c) {
      const auto* text = sqlite3_column_text(raw, c);
      out.push_back(std::to_string(sqlite3_column_type(raw, c)) + ":" +
                    (text != nullptr ? reinterpret_cast<const char*>(text) : "NULL"));
    }
  }
  if (rc != SQLITE_DONE) out.push_back(std::string("error: ") + sqlite3_errmsg(db));
  out.push_back("changes " + std::to_string(sqlite3_changes(db)));
  return out;
}

struct Db {
  std::unique_ptr<sqlite3, CloseDb> db;
  Db() {
    sqlite3* raw = nullptr;
    BOOST_REQUIRE(sqlite3_open(":memory:", &raw) == SQLITE_OK);
    db.reset(raw);
    exec(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL, n NUMERIC, b BLOB);"
        "CREATE TABLE u(id INTEGER PRIMARY KEY, t_id INT, tag TEXT);"
        "INSERT INTO t VALUES (1,'alice',1.5,10,x'00'),(2,'bob',2.5,'20',NULL),"
        "(3,'carol',NULL,'x',x'ff'),(4,'O''Hara',4,4.0,NULL);"
        "INSERT INTO u VALUES (1,1,'a'),(2,1,'b'),(3,2,'c'),(4,3,'5');");
  }
  void exec(const char* sql) {
    BOOST_REQUIRE_MESSAGE(sqlite3_exec(db.get(), sql, nullptr, nullptr, nullptr) == SQLITE_OK,
                          sqlite3_errmsg(db.get()));
  }
};

std::string bound(std::string_view sql) {
  auto p = auto_parameterize(sql);
  return p ? p->sql : "-";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pgcompat_auto_parameters)

BOOST_AUTO_TEST_CASE(binds_the_literals_of_predicates_values_and_limits) {
  BOOST_TEST(bound("SELECT abalance FROM pgbench_accounts WHERE aid = 48213;") ==
             "SELECT abalance FROM pgbench_accounts WHERE aid = ?1;");
  BOOST_TEST(bound("UPDATE a SET x = x + -5 WHERE id = 7") ==
             "UPDATE a SET x = x + -?1 WHERE id = ?2");
  BOOST_TEST(bound("INSERT INTO h (a, b) VALUES (1, 'it''s'), (2, 'x')") ==
             "INSERT INTO h (a, b) VALUES (?1, ?2), (?3, ?4)");
  BOOST_TEST(bound("DELETE FROM t WHERE name IN ('a', 'b') AND id > 3") ==
             "DELETE FROM t WHERE name IN (?1, ?2) AND id > ?3");
  BOOST_TEST(bound("SELECT a FROM t WHERE b = 1 ORDER BY 1 LIMIT 10 OFFSET 2") ==
             "SELECT a FROM t WHERE b = ?1 ORDER BY 1 LIMIT ?2 OFFSET ?3");
  BOOST_TEST(bound("SELECT a FROM t JOIN u ON u.x = t.a AND u.k = 'z' WHERE t.c IN "
                   "(SELECT c FROM v WHERE d = 5)") ==
             "SELECT a FROM t JOIN u ON u.x = t.a AND u.k = ?1 WHERE t.c IN "
             "(SELECT c FROM v WHERE d = ?2)");
  auto p = auto_parameterize("SELECT * FROM t WHERE name = 'O''Hara' AND id = 9223372036854775807");
  BOOST_REQUIRE(p.has_value());
  BOOST_TEST(std::get<std::string>(p->values[0]) == "O'Hara");
  BOOST_TEST(std::get<std::int64_t>(p->values[1]) == INT64_MAX);
}

BOOST_AUTO_TEST_CASE(keeps_the_literals_whose_text_matters) {
  // Select lists (a column's name is its text), ORDER BY / GROUP BY (positions), FROM
  // (a string there names a table), reals, out-of-range integers, blobs.
  BOOST_TEST(bound("SELECT 1, 'x', coalesce(a, 0), (SELECT 2 FROM v WHERE w = 3) FROM t WHERE "
                   "a = 4") == "SELECT 1, 'x', coalesce(a, 0), (SELECT 2 FROM v WHERE w = 3) "
                               "FROM t WHERE a = ?1");
  BOOST_TEST(bound("SELECT a, count(*) FROM t WHERE b = 1 GROUP BY 1 HAVING count(*) > 2") ==
             "SELECT a, count(*) FROM t WHERE b = ?1 GROUP BY 1 HAVING count(*) > ?2");
  BOOST_TEST(bound("SELECT * FROM 't' WHERE a = 2") == "SELECT * FROM 't' WHERE a = ?1");
  BOOST_TEST(bound("SELECT * FROM t WHERE a = 1.5 OR a = 1e3 OR a = 0x10 OR a = "
                   "9223372036854775808 OR b = x'00' OR c = 7") ==
             "SELECT * FROM t WHERE a = 1.5 OR a = 1e3 OR a = 0x10 OR a = 9223372036854775808 OR "
             "b = x'00' OR c = ?1");
  BOOST_TEST(bound("INSERT INTO t SELECT 1, 'a' FROM u WHERE k = 2") ==
             "INSERT INTO t SELECT 1, 'a' FROM u WHERE k = ?1");
}

BOOST_AUTO_TEST_CASE(declines_statements_it_does_not_understand) {
  for (const char* sql : {
           "SELECT a FROM t",                                      // nothing to bind
           "CREATE TABLE t (a INT DEFAULT 5)",                     // not DML
           "PRAGMA table_info('t')",
           "SELECT * FROM t WHERE a = ? AND b = 1",                // parameters already
           "SELECT * FROM t WHERE a = ?1 AND b = 1",
           "SELECT * FROM t WHERE a = :x AND b = 1",
           "SELECT * FROM t WHERE a = @x AND b = 1",
           "SELECT * FROM t WHERE a = $x AND b = 1",
           "WITH c AS (SELECT 1) SELECT * FROM c WHERE 1 = 1",     // WITH
           "SELECT row_number() OVER (ORDER BY a) FROM t WHERE a = 1",
           "SELECT a FROM t WHERE a = 1 WINDOW w AS (ORDER BY a)",
           "UPDATE t SET a = 1 RETURNING a, 2",
           "SELECT * FROM json_each('[1,2]') WHERE value = 1",     // table-valued functions
           "SELECT * FROM t, pragma_table_info('t') WHERE cid = 1",
           "SELECT * FROM t JOIN \"json_each\"('[1]') ON 1 WHERE a = 2",
           "SELECT * FROM t WHERE a = 'unterminated",
           "SELECT * FROM t WHERE a = 1 /* unterminated",
       }) {
    BOOST_TEST(!auto_parameterize(sql).has_value(), sql);
  }
}

BOOST_AUTO_TEST_CASE(bound_statements_give_what_the_text_gives) {
  for (const char* sql : {
           "SELECT * FROM t WHERE id = 2",
           "SELECT * FROM t WHERE id = '2'",
           "SELECT * FROM t WHERE name = 'O''Hara'",
           "SELECT * FROM t WHERE n = 20",
           "SELECT * FROM t WHERE n = '20'",
           "SELECT * FROM t WHERE n = 'x'",
           "SELECT * FROM t WHERE score > 2",
           "SELECT * FROM t WHERE name > 'b' ORDER BY 2 DESC LIMIT 2",
           "SELECT * FROM t WHERE name LIKE 'a%' OR name GLOB '*o*'",
           "SELECT * FROM t WHERE name LIKE 'a!%' ESCAPE '!'",
           "SELECT id, name || 'x', typeof(n), 5 FROM t WHERE id BETWEEN 2 AND 3",
           "SELECT id, CASE WHEN id = 1 THEN 'one' ELSE 'many' END FROM t WHERE id <> 3",
           "SELECT t.id, u.tag FROM t JOIN u ON u.t_id = t.id AND u.tag <> 'b' WHERE t.id < 3",
           "SELECT count(*), t_id FROM u WHERE id > 0 GROUP BY 2 HAVING count(*) > 1",
           "SELECT * FROM t WHERE id IN (SELECT t_id FROM u WHERE tag = 'c' OR tag = 5)",
           "SELECT * FROM u WHERE tag = 5",
           "SELECT * FROM u WHERE tag = '5'",
           "SELECT * FROM u WHERE CAST(tag AS INTEGER) = 5",
           "SELECT * FROM t WHERE b IS NULL AND id >= -3",
           "SELECT * FROM t WHERE id = 1 AND 1 = 1 LIMIT 1 OFFSET 0",
           "SELECT * FROM (SELECT id, name FROM t WHERE id < 4) WHERE id > 1",
           "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) WHERE column1 = 2",
           "SELECT max(id) FROM t WHERE name <> 'zzz'",
           "SELECT id FROM t WHERE abs(id - 3) < 2 ORDER BY id",
       }) {
    Db db;
    auto p = auto_parameterize(sql);
    BOOST_TEST_REQUIRE(p.has_value(), sql);
    BOOST_TEST(run(db.db.get(), p->sql, p->values) == run(db.db.get(), sql, {}), sql);
  }
}

BOOST_AUTO_TEST_CASE(bound_writes_change_what_the_text_changes) {
  for (const char* sql : {
           "INSERT INTO u (id, t_id, tag) VALUES (10, 1, 'x'), (11, 2, 'it''s')",
           "INSERT INTO u VALUES (12, '3', 7)",
           "UPDATE t SET name = 'z', n = n + 1 WHERE id = 2",
           "UPDATE t SET score = score * 2 WHERE name LIKE '%o%'",
           "DELETE FROM u WHERE tag IN ('a', 'c')",
           "INSERT INTO u (id, t_id, tag) VALUES (1, 9, 'dup') ON CONFLICT(id) DO UPDATE SET "
           "tag = 'was ' || excluded.tag",
       }) {
    Db text_db;
    Db bound_db;
    auto p = auto_parameterize(sql);
    BOOST_TEST_REQUIRE(p.has_value(), sql);
    BOOST_TEST(run(bound_db.db.get(), p->sql, p->values) == run(text_db.db.get(), sql, {}), sql);
    for (const char* check : {"SELECT *, typeof(tag) FROM u ORDER BY id",
                              "SELECT *, typeof(n) FROM t ORDER BY id"}) {
      BOOST_TEST(run(bound_db.db.get(), check, {}) == run(text_db.db.get(), check, {}), sql);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
