// The statement splitter and the extension/engine classifier.
#include <boost/test/unit_test.hpp>

#include "grammar/grammar.h"

using namespace dbvault;
using grammar::StatementClass;

namespace {

std::vector<std::string> texts(std::string_view script) {
  std::vector<std::string> out;
  for (const auto& s : grammar::split_statements(script)) {
    out.emplace_back(s.text);
    BOOST_TEST(script.substr(s.offset, s.text.size()) == s.text);
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(splitter_cuts_only_at_top_level_semicolons) {
  using V = std::vector<std::string>;
  BOOST_TEST((texts("SELECT 1; SELECT 2") == V{"SELECT 1", "SELECT 2"}));
  BOOST_TEST((texts("SELECT ';'; SELECT \"a;b\"") == V{"SELECT ';'", "SELECT \"a;b\""}));
  BOOST_TEST((texts("SELECT 'it''s;'; X") == V{"SELECT 'it''s;'", "X"}));
  BOOST_TEST((texts("SELECT 1 -- ; not here\n; SELECT 2") == V{"SELECT 1", "SELECT 2"}));
  BOOST_TEST((texts("SELECT /* ; */ 1;") == V{"SELECT /* ; */ 1"}));
  BOOST_TEST((texts("SELECT `a;b`, [c;d] FROM t;") == V{"SELECT `a;b`, [c;d] FROM t"}));
  BOOST_TEST((texts(" ; ;; -- only comments\n /* x */ ") == V{}));
  BOOST_TEST((texts("") == V{}));
}

BOOST_AUTO_TEST_CASE(splitter_keeps_trigger_bodies_whole) {
  const std::string trigger =
      "CREATE TEMP TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO b VALUES (1); "
      "UPDATE c SET x = 1; END";
  const auto v = texts(trigger + "; SELECT 1");
  BOOST_REQUIRE_EQUAL(v.size(), 2u);
  BOOST_TEST(v[0] == trigger);
  BOOST_TEST(v[1] == "SELECT 1");
}

BOOST_AUTO_TEST_CASE(splitter_extends_unterminated_text_to_the_end) {
  const auto v = texts("SELECT 1; UNLOCK REALM r PASSWORD 'abc; SELECT 2");
  BOOST_REQUIRE_EQUAL(v.size(), 2u);
  BOOST_TEST(v[1] == "UNLOCK REALM r PASSWORD 'abc; SELECT 2");
  const auto c = texts("CREATE REALM r /* open");
  BOOST_REQUIRE_EQUAL(c.size(), 1u);
  BOOST_TEST(c[0] == "CREATE REALM r /* open");
}

BOOST_AUTO_TEST_CASE(classifier_routes_extension_statements_to_the_vault) {
  const char* extension[] = {
      "CREATE REALM r", "create command rule r", "CREATE RULE SET s", "CREATE USER u",
      "CREATE ROLE r", "CREATE MASTER KEY", "CREATE TABLESPACE t", "CREATE AUDIT HOLD h",
      "ALTER REALM r", "ALTER COMMAND RULE r", "ALTER DATABASE ENABLE", "ALTER USER u",
      "ALTER TABLESPACE t", "ALTER TABLE t ROTATE ENCRYPTION KEY",
      "ALTER TABLE s.\"T\" ALTER COLUMN c SET ENCRYPTED WITH (TYPE = RANDOMIZED, KEY_ID = 'k')",
      "ALTER TABLE t ALTER c SET MASKING FULL", "ALTER TABLE t ALTER COLUMN c DROP MASKING",
      "DROP REALM r", "DROP COMMAND RULE r", "DROP RULE SET s", "DROP USER u", "DROP ROLE r",
      "DROP AUDIT HOLD h", "DROP TABLESPACE ts", "drop tablespace if exists ts",
      "UNLOCK REALM r", "LOCK REALM r", "LOCK ALL REALMS", "GRANT x TO y",
      "REVOKE x FROM y", "EMERGENCY UNLOCK", "APPROVE EMERGENCY UNLOCK 'x'", "REJECT EMERGENCY",
      "REVIEW EMERGENCY UNLOCK", "EXPLAIN VAULT SELECT 1", "BACKUP DATABASE", "RESTORE DATABASE",
      "VERIFY AUDIT LOG", "CONNECT u", "/* lead */ -- comment\n CREATE REALM r",
      "CREATE TABLE t (a INT ENCRYPTED)", "CREATE TABLE IF NOT EXISTS s.t (a INT, b TEXT ENCRYPTED)",
      "CREATE TABLE t (a INT) TABLESPACE ts", "CREATE TEMP TABLE t (ssn TEXT ENCRYPTED)",
      "create temporary table t (a INT, b TEXT ENCRYPTED)",
  };
  for (const char* s : extension) BOOST_TEST((grammar::classify(s) == StatementClass::kExtension), s);
}

BOOST_AUTO_TEST_CASE(classifier_passes_ordinary_sql_to_the_engine) {
  const char* engine[] = {
      "SELECT * FROM users", "INSERT INTO t VALUES (1)", "UPDATE t SET a = 1", "DELETE FROM t",
      "CREATE TABLE t (a INT)", "CREATE TABLE t (encrypted INT)", "CREATE TABLE t (a TEXT DEFAULT 'ENCRYPTED')",
      "CREATE TABLE t AS SELECT 1", "CREATE TABLE tablespace_log (a INT)", "CREATE INDEX i ON t (a)",
      "ALTER TABLE t ADD COLUMN encrypted INT", "ALTER TABLE t RENAME TO u",
      "ALTER TABLE t ALTER COLUMN c SET DEFAULT 1", "DROP TABLE t", "EXPLAIN SELECT 1",
      "EXPLAIN QUERY PLAN SELECT 1", "LOCK TABLE t", "WITH x AS (SELECT 1) SELECT * FROM x",
      "(SELECT 1)", "BEGIN", "COMMIT", "VACUUM", "PRAGMA table_info(t)", "", "   ", "'unlock realm'",
      "\"CREATE\" REALM r", "CREATE TEMP TABLE t (a INT)", "CREATE TEMP VIEW v AS SELECT 1",
  };
  for (const char* s : engine) BOOST_TEST((grammar::classify(s) == StatementClass::kEngine), s);
}
