// The emulated pg_catalog, driven by the exact queries psql 15 and pgbench 15 send
// (tests/server/pgcompat_cases/, captured with log_statement=all from PostgreSQL 15).
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "tests/server/pgcompat_fixture.h"

using namespace dbvault;
using namespace dbvault::server::pgcompat;
using test::PgSession;

namespace {

std::string read_case(const std::string& name) {
  std::ifstream in(std::string(DBVAULT_PGCOMPAT_CASES) + "/" + name);
  BOOST_REQUIRE_MESSAGE(in, "missing case file " << name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

struct CatalogSession : PgSession {
  CatalogSession() {
    exec(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name text NOT NULL, email varchar(100) "
        "UNIQUE, "
        "created timestamptz DEFAULT (now()))");
    exec("CREATE INDEX users_name ON users (name)");
    exec("CREATE VIEW active_users AS SELECT id, name FROM users");
    exec(
        "CREATE TABLE pgbench_accounts (aid int NOT NULL, bid int, abalance int, filler char(84))");
  }
  ResultSet answer(const std::string& sql) {
    auto t = translate(sql);
    BOOST_REQUIRE_MESSAGE(t.ok(), sql << "\n-> " << (t.ok() ? "" : t.error().message));
    BOOST_REQUIRE(std::holds_alternative<ResultSet>(*t));
    return std::get<ResultSet>(*t);
  }
};

std::vector<std::string> column_of(const ResultSet& r, std::size_t i) {
  std::vector<std::string> out;
  for (const auto& row : r.rows) out.push_back(row.at(i).value_or("NULL"));
  return out;
}

using V = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_SUITE(pgcompat_catalog)

BOOST_AUTO_TEST_CASE(psql_dt_and_its_variants) {
  CatalogSession s;
  const ResultSet dt = s.answer(read_case("psql_dt.sql"));
  BOOST_TEST(dt.columns.size() == 4u);
  BOOST_TEST(dt.columns[0].name == "Schema");
  BOOST_TEST(dt.columns[0].type_oid == type_oid::kName);
  BOOST_TEST(column_of(dt, 1) == (V{"pgbench_accounts", "users"}));
  BOOST_TEST(column_of(dt, 2) == (V{"table", "table"}));
  BOOST_TEST(column_of(dt, 3) == (V{"alice", "alice"}));
  BOOST_TEST(dt.tag == "SELECT 2");
  BOOST_TEST(column_of(s.answer(read_case("psql_dt_pattern.sql")), 1) == (V{"users"}));  // \dt us*
  BOOST_TEST(column_of(s.answer(read_case("psql_dt_schema_star.sql")), 1).size() ==
             2u);  // \dt public.*
  BOOST_TEST(column_of(s.answer(read_case("psql_d.sql")), 1) ==
             (V{"active_users", "pgbench_accounts", "users"}));
  BOOST_TEST(column_of(s.answer(read_case("psql_dv.sql")), 1) == (V{"active_users"}));
  const ResultSet di = s.answer(read_case("psql_di.sql"));
  BOOST_TEST(di.columns.size() == 5u);
  BOOST_TEST(column_of(di, 1) == (V{"sqlite_autoindex_users_1", "users_name", "users_pkey"}));
  BOOST_TEST(column_of(di, 4) == (V{"users", "users", "users"}));
}

BOOST_AUTO_TEST_CASE(psql_d_users_sends_these_queries_in_turn) {
  CatalogSession s;
  const ResultSet lookup = s.answer(read_case("psql_d_users_1_lookup.sql"));
  BOOST_REQUIRE_EQUAL(lookup.rows.size(), 1u);
  BOOST_TEST(*lookup.rows[0][2] == "users");
  const std::string oid = *lookup.rows[0][0];
  BOOST_TEST(std::stoul(oid) >= 16384u);
  // psql puts the oid it was given into each following query (it was '16385' when captured).
  auto next = [&](const std::string& file) {
    return s.answer(replaced(read_case(file), "'16385'", "'" + oid + "'"));
  };

  const ResultSet rel = next("psql_d_users_2_table.sql");
  BOOST_REQUIRE_EQUAL(rel.rows.size(), 1u);
  BOOST_TEST(rel.columns.size() == 15u);
  BOOST_TEST(*rel.rows[0][1] == "r");
  BOOST_TEST(*rel.rows[0][2] == "t");  // relhasindex
  BOOST_TEST(*rel.rows[0][14] == "heap");

  const ResultSet cols = next("psql_d_users_3_columns.sql");
  BOOST_TEST(column_of(cols, 0) == (V{"id", "name", "email", "created"}));
  BOOST_TEST(column_of(cols, 1) ==
             (V{"integer", "text", "character varying(100)", "timestamp with time zone"}));
  BOOST_TEST(column_of(cols, 2) == (V{"NULL", "NULL", "NULL", "now()"}));
  BOOST_TEST(column_of(cols, 3) == (V{"t", "t", "f", "f"}));

  const ResultSet idx = next("psql_d_users_4_indexes.sql");
  BOOST_TEST(column_of(idx, 0) == (V{"users_pkey", "sqlite_autoindex_users_1", "users_name"}));
  BOOST_TEST(column_of(idx, 1) == (V{"t", "f", "f"}));
  BOOST_TEST(column_of(idx, 2) == (V{"t", "t", "f"}));
  BOOST_TEST(column_of(idx, 5)[0] ==
             "CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)");
  BOOST_TEST(column_of(idx, 6)[0] == "PRIMARY KEY (id)");

  for (const char* f : {"psql_d_users_5_policies.sql", "psql_d_users_6_statistics.sql",
                        "psql_d_users_7_publications.sql", "psql_d_users_8_parents.sql",
                        "psql_d_users_9_children.sql"}) {
    const ResultSet none = next(f);
    BOOST_TEST(none.rows.empty(), f);
    BOOST_TEST(!none.columns.empty(), f);
    BOOST_TEST(none.tag == "SELECT 0");
  }
}

BOOST_AUTO_TEST_CASE(psql_d_of_a_view_a_qualified_name_and_an_unknown_name) {
  CatalogSession s;
  const auto view =
      s.answer(replaced(read_case("psql_d_users_1_lookup.sql"), "^(users)$", "^(active_users)$"));
  BOOST_REQUIRE_EQUAL(view.rows.size(), 1u);
  const auto rel = s.answer(
      replaced(read_case("psql_d_users_2_table.sql"), "'16385'", "'" + *view.rows[0][0] + "'"));
  BOOST_TEST(*rel.rows[0][1] == "v");
  BOOST_TEST(column_of(s.answer(read_case("psql_d_public_users_1_lookup.sql")), 2) == (V{"users"}));
  BOOST_TEST(s.answer(replaced(read_case("psql_d_users_1_lookup.sql"), "^(users)$", "^(nope)$"))
                 .rows.empty());
}

// \d+ users: the verbose relation and column queries (storage per type, no statistics
// target or description).
BOOST_AUTO_TEST_CASE(psql_d_plus_users) {
  CatalogSession s;
  const std::string oid = *s.answer(read_case("psql_d_users_1_lookup.sql")).rows.at(0).at(0);
  auto next = [&](const std::string& file) {
    return s.answer(replaced(read_case(file), "'16385'", "'" + oid + "'"));
  };
  const ResultSet rel = next("psql_d_plus_users_2_table.sql");
  BOOST_REQUIRE_EQUAL(rel.rows.size(), 1u);
  BOOST_TEST(*rel.rows[0][14] == "heap");
  const ResultSet cols = next("psql_d_plus_users_3_columns.sql");
  BOOST_TEST(cols.columns.size() == 11u);
  BOOST_TEST(column_of(cols, 0) == (V{"id", "name", "email", "created"}));
  BOOST_TEST(column_of(cols, 7) == (V{"p", "x", "x", "p"}));
  BOOST_TEST(column_of(cols, 9) == (V{"NULL", "NULL", "NULL", "NULL"}));
}

// pgjdbc's DatabaseMetaData.getTables(null, null, pattern, {"TABLE"}), captured from pgjdbc
// 42.5 with the pattern 'drv_types'.
BOOST_AUTO_TEST_CASE(pgjdbc_get_tables) {
  CatalogSession s;
  const std::string sql = read_case("pgjdbc_get_tables.sql");
  auto tables = [&](const std::string& pattern) {
    const ResultSet r = s.answer(replaced(sql, "'drv_types'", "'" + pattern + "'"));
    BOOST_TEST(r.columns.size() == 10u);
    return column_of(r, 2);
  };
  BOOST_TEST(tables("users") == (V{"users"}));
  BOOST_TEST(tables("%") == (V{"pgbench_accounts", "users"}));  // not the view
  BOOST_TEST(tables("user_") == (V{"users"}));
  BOOST_TEST(tables("user\\_") == (V{}));
  BOOST_TEST(tables(std::string(2000, '%') + "x").empty());  // linear, not exponential
  const ResultSet r = s.answer(replaced(sql, "'drv_types'", "'users'"));
  BOOST_TEST(*r.rows.at(0).at(1) == "public");
  BOOST_TEST(*r.rows.at(0).at(3) == "TABLE");
}

// A driver's look-up of one type (the session binds its $1 as a literal first).
BOOST_AUTO_TEST_CASE(drivers_look_types_up_in_pg_type) {
  CatalogSession s;
  const std::string info = read_case("psycopg_type_info.sql");
  const ResultSet numeric = s.answer(replaced(info, "$1", "'numeric'"));
  BOOST_REQUIRE_EQUAL(numeric.rows.size(), 1u);
  BOOST_TEST(*numeric.rows[0][0] == "numeric");
  BOOST_TEST(*numeric.rows[0][1] == "1700");
  BOOST_TEST(*numeric.rows[0][2] == "1231");
  BOOST_TEST(*s.answer(replaced(info, "$1", "'timestamp'")).rows.at(0).at(3) ==
             "timestamp without time zone");
  BOOST_TEST(s.error_code(replaced(info, "$1", "'no_such_type'")) == "42704");
  const std::string by_oid = read_case("asyncpg_type_by_oid.sql");
  const ResultSet t = s.answer(replaced(by_oid, "$1", "'1700'"));
  BOOST_REQUIRE_EQUAL(t.rows.size(), 1u);
  BOOST_TEST(*t.rows[0][2] == "b");
  BOOST_TEST(s.answer(replaced(by_oid, "$1", "'424242'")).rows.empty());
  BOOST_TEST(s.answer(replaced(by_oid, "$1", "'99999999999999999999'")).rows.empty());
}

BOOST_AUTO_TEST_CASE(psql_du_l_dn) {
  CatalogSession s;
  const ResultSet du = s.answer(read_case("psql_du.sql"));
  BOOST_TEST(du.columns.size() == 11u);
  BOOST_TEST(column_of(du, 0) == (V{"alice"}));
  BOOST_TEST(column_of(du, 8) == (V{"{}"}));
  BOOST_TEST(s.answer(read_case("psql_du_pattern.sql")).rows.empty());  // \du p*
  const ResultSet l = s.answer(read_case("psql_l.sql"));
  BOOST_TEST(column_of(l, 0) == (V{"dbvault"}));
  BOOST_TEST(column_of(l, 2) == (V{"UTF8"}));
  BOOST_TEST(s.answer(read_case("psql_l_pattern.sql")).rows.empty());  // \l p*
  BOOST_TEST(column_of(s.answer(read_case("psql_dn.sql")), 0) == (V{"public"}));
  BOOST_TEST(column_of(s.answer(read_case("psql_dn_pattern_1.sql")), 0) ==
             (V{"public"}));  // \dn p*
  BOOST_TEST(s.answer(read_case("psql_dn_pattern_2_publications.sql")).rows.empty());
}

BOOST_AUTO_TEST_CASE(pgbench_partition_check) {
  CatalogSession s;
  const ResultSet r = s.answer(read_case("pgbench_partition_check.sql"));
  BOOST_REQUIRE_EQUAL(r.rows.size(), 1u);
  BOOST_TEST(*r.rows[0][0] == "1");
  BOOST_TEST(!r.rows[0][1].has_value());  // not partitioned
  BOOST_TEST(
      s.answer(replaced(read_case("pgbench_partition_check.sql"), "'pgbench_accounts'", "'nope'"))
          .rows.empty());
}

BOOST_AUTO_TEST_CASE(other_catalog_queries_are_refused_with_what_is_supported) {
  CatalogSession s;
  for (const char* q :
       {"SELECT * FROM pg_catalog.pg_type", "SELECT * FROM information_schema.tables",
        "select datname from pg_stat_activity", "SELECT typname FROM pg_type WHERE oid = $1",
        "SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname = 'x' AND 1 = 1"}) {
    auto t = s.translate(q);
    BOOST_REQUIRE(!t.ok());
    BOOST_TEST(t.error().code.code() == "0A000", q);
    BOOST_TEST(t.error().message.find("psql 15") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(a_primary_key_added_by_alter_table_is_shown_as_one) {
  CatalogSession s;
  BOOST_TEST(s.run("alter table pgbench_accounts add primary key (aid)") ==
             "(no rows)");  // pgbench -i
  const auto lookup = s.answer(
      replaced(read_case("psql_d_users_1_lookup.sql"), "^(users)$", "^(pgbench_accounts)$"));
  BOOST_REQUIRE_EQUAL(lookup.rows.size(), 1u);
  const auto idx = s.answer(
      replaced(read_case("psql_d_users_4_indexes.sql"), "'16385'", "'" + *lookup.rows[0][0] + "'"));
  BOOST_TEST(column_of(idx, 0) == (V{"pgbench_accounts_pkey"}));
  BOOST_TEST(column_of(idx, 1) == (V{"t"}));
  BOOST_TEST(column_of(idx, 6) == (V{"PRIMARY KEY (aid)"}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pgcompat_catalog_patterns)

// psql passes regular-expression syntax through (\dt x|y sends '^(x|y)$'); the pattern is
// the client's and must not be able to stall the session.
BOOST_AUTO_TEST_CASE(hostile_patterns_cost_little) {
  CatalogSession s;
  s.exec("CREATE TABLE aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa (x)");
  const auto lookup = [&](const std::string& pattern) {
    return s.translate(replaced(read_case("psql_d_users_1_lookup.sql"), "^(users)$", pattern));
  };
  auto slow = lookup("^((a*)*)*b$");
  BOOST_REQUIRE(slow.ok());
  BOOST_TEST(std::get<ResultSet>(*slow).rows.empty());
  auto alt = lookup("^(users|pgbench_accounts)$");
  BOOST_TEST(std::get<ResultSet>(*alt).rows.size() == 2u);
  auto bad = lookup("^((users)$");
  BOOST_REQUIRE(!bad.ok());
  BOOST_TEST(bad.error().code.code() == "2201B");
  BOOST_TEST(lookup(std::string(300, '(')).ok() == false);
}

BOOST_AUTO_TEST_SUITE_END()
