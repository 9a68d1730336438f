// The module's C++ core without PostgreSQL: statement quoting, log redaction, PostgreSQL
// names to vault objects, the interim audit file, and BackendVault end to end on a
// temporary directory (first start bootstraps; a second backend sees the first's change
// only after reload()).
#define BOOST_TEST_MODULE pgext
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "grammar/parser.h"
#include "pgext/backend_vault.h"
#include "pgext/redaction.h"
#include "pgext/relation_access.h"
#include "pgext/statements.h"
#include "tests/support/temp_dir.h"

namespace dbvault::pgext {
namespace {

BackendOptions options_in(const std::filesystem::path& dir, std::string user) {
  BackendOptions o;
  o.policy_path = dir / "dbvault" / "policy.db";
  o.keys_dir = dir / "dbvault" / "keys";
  o.audit_path = dir / "dbvault" / "audit.jsonl";
  o.master_key_provider = "file";
  o.user = std::move(user);
  o.info.session_id = "test";
  return o;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

BOOST_AUTO_TEST_CASE(unlock_statement_keeps_any_text_one_token) {
  const SecretString s = unlock_statement("my \"realm\"", "pw' OR 'x", false);
  BOOST_TEST(s.reveal() == R"(UNLOCK REALM "my ""realm""" PASSWORD 'pw'' OR ''x')");
  auto parsed = grammar::parse(s.reveal());
  BOOST_TEST_REQUIRE(parsed.ok());
  const auto* unlock = std::get_if<ast::UnlockRealm>(&parsed->node);
  BOOST_TEST_REQUIRE(unlock != nullptr);
  BOOST_TEST(unlock->realm == "my \"realm\"");
  BOOST_TEST(lock_statement("r") == "LOCK REALM \"r\"");
}

BOOST_AUTO_TEST_CASE(redaction_finds_the_schema_and_drops_literals) {
  BOOST_TEST(mentions_vault("select * from DBVAULT.unlock_realm('r', 'pw')"));
  BOOST_TEST(mentions_vault("select \"dbvault\".execute($$x$$)"));
  BOOST_TEST(!mentions_vault("select 1"));
  const std::string r = redact("statement: SELECT * FROM dbvault.unlock_realm('r', $$pw$$)");
  BOOST_TEST(r.find("pw") == std::string::npos);
  BOOST_TEST(r.find("dbvault.unlock_realm") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(public_is_the_vault_default_schema) {
  BOOST_TEST(vault_schema("public") == "");
  BOOST_TEST(vault_schema("billing") == "billing");
}

BOOST_AUTO_TEST_CASE(backend_vault_bootstraps_checks_and_reloads) {
  test::TempDir dir("pgext-core");
  auto admin = BackendVault::open(options_in(dir.path(), "secadmin"));
  BOOST_TEST_REQUIRE(admin.ok(), (admin.ok() ? "" : admin.error().message));
  auto dba = BackendVault::open(options_in(dir.path(), "dba"));
  BOOST_TEST_REQUIRE(dba.ok());
  const std::vector<RelationAccess> read{{"public", "users", ast::Command::kSelect, {"ssn"}}};
  BOOST_TEST((*dba)->check(read, "SELECT ssn FROM users").ok());

  BOOST_TEST((*admin)->execute("CREATE REALM pii REQUIRE VAULT PASSWORD 'pw_1'").ok());
  BOOST_TEST((*admin)->execute("ALTER REALM pii ADD TABLE users").ok());
  // The dba backend still has its old snapshot until it reloads (the edge reloads when the
  // shared policy version moved).
  BOOST_TEST((*dba)->check(read, "SELECT ssn FROM users").ok());
  BOOST_TEST((*dba)->reload().ok());
  const Status denied = (*dba)->check(read, "SELECT ssn FROM users WHERE id = 42");
  BOOST_TEST_REQUIRE(!denied.ok());
  BOOST_TEST(denied.error().code == sqlstate::kInsufficientPrivilege);

  auto unlock = (*dba)->execute("UNLOCK REALM pii PASSWORD 'pw_1'");
  BOOST_TEST_REQUIRE(unlock.ok());
  BOOST_TEST((*dba)->check(read, "SELECT ssn FROM users").ok());
  // A DBA cannot create realms (separation of duties), whatever host runs the vault.
  BOOST_TEST((*dba)->execute("CREATE REALM mine").error().code == sqlstate::kInsufficientPrivilege);

  const std::string audit = read_file(dir.path() / "dbvault" / "audit.jsonl");
  BOOST_TEST(audit.find("command_rule_violation") != std::string::npos);
  BOOST_TEST(audit.find("pw_1") == std::string::npos);
  BOOST_TEST(audit.find("id = 42") == std::string::npos);  // literals replaced by '?'
}

BOOST_AUTO_TEST_CASE(unknown_role_gets_a_session_no_realm_admits) {
  test::TempDir dir("pgext-core");
  auto admin = BackendVault::open(options_in(dir.path(), "secadmin"));
  BOOST_TEST_REQUIRE(admin.ok());
  BOOST_TEST((*admin)->execute("CREATE REALM pii").ok());
  BOOST_TEST((*admin)->execute("ALTER REALM pii ADD TABLE users").ok());
  auto app = BackendVault::open(options_in(dir.path(), "app"));
  BOOST_TEST_REQUIRE(app.ok());
  BOOST_TEST((*app)->session().user_id() == 0u);
  const std::vector<RelationAccess> users{{"public", "users", ast::Command::kSelect, {}}};
  const std::vector<RelationAccess> orders{{"public", "orders", ast::Command::kSelect, {}}};
  BOOST_TEST(!(*app)->check(users, "").ok());
  BOOST_TEST((*app)->check(orders, "").ok());  // PostgreSQL's ACL decides on it
}

BOOST_AUTO_TEST_CASE(fails_closed_without_its_master_key) {
  test::TempDir dir("pgext-core");
  BOOST_TEST_REQUIRE(BackendVault::open(options_in(dir.path(), "dba")).ok());
  std::filesystem::remove(dir.path() / "dbvault" / "keys" / "master.key");
  auto o = options_in(dir.path(), "dba");
  o.master_key_provider = "env";  // and no DBVAULT_MASTER_KEY_HEX in the environment
  auto bv = BackendVault::open(std::move(o));
  BOOST_TEST_REQUIRE(!bv.ok());
  BOOST_TEST(bv.error().code == sqlstate::kSystemError);
}

}  // namespace dbvault::pgext
