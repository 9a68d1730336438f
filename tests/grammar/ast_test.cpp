// Field-level checks of the typed AST for the statements the vault relies on most, and the
// case/quoting/comment variants of the lexical rules.
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "grammar/grammar.h"

using namespace dbvault;
using namespace std::chrono_literals;

namespace {

template <typename T>
T parse_as(std::string_view sql) {
  auto r = grammar::parse(sql);
  BOOST_REQUIRE_MESSAGE(r.ok(), std::string(sql) + ": " + (r.ok() ? "" : r.error().message));
  T* node = std::get_if<T>(&r->node);
  BOOST_REQUIRE_MESSAGE(node != nullptr,
                        std::string(sql) + " parsed as " + std::string(ast::statement_kind(*r)));
  return std::move(*node);  // nodes that hold a secret move, they do not copy
}

}  // namespace

BOOST_AUTO_TEST_CASE(create_realm_fields) {
  auto r = parse_as<ast::CreateRealm>(
      "CREATE REALM finance_data OWNER security_admin REQUIRE VAULT PASSWORD 'pw' REGULAR "
      "SIMULATION DESCRIPTION 'money'");
  BOOST_TEST(r.name == "finance_data");
  BOOST_TEST(r.owner.value() == "security_admin");
  BOOST_TEST(r.require_password);
  BOOST_TEST(r.password->reveal() == "pw");
  BOOST_TEST((r.mode == ast::RealmMode::kRegular));
  BOOST_TEST((r.state == ast::ObjectState::kSimulation));
  BOOST_TEST(r.description.value() == "money");
  auto d = parse_as<ast::CreateRealm>("CREATE REALM r");
  BOOST_TEST(!d.require_password);
  BOOST_TEST((d.mode == ast::RealmMode::kMandatory));
  BOOST_TEST((d.state == ast::ObjectState::kEnabled));
}

BOOST_AUTO_TEST_CASE(realm_objects_and_principals) {
  auto a = parse_as<ast::AlterRealmObjects>("ALTER REALM r ADD TABLE Users, COLUMN s.t.\"Card\"");
  BOOST_REQUIRE_EQUAL(a.objects.size(), 2u);
  BOOST_TEST(a.objects[0].table.name == "users");
  BOOST_TEST(a.objects[0].column.empty());
  BOOST_TEST(a.objects[1].table.schema == "s");
  BOOST_TEST(a.objects[1].table.name == "t");
  BOOST_TEST(a.objects[1].column == "Card");
  auto z = parse_as<ast::AlterRealmAuthorize>("ALTER REALM r AUTHORIZE ROLE ops AS OWNER");
  BOOST_TEST((z.principal.kind == ast::PrincipalKind::kRole));
  BOOST_TEST((z.as == ast::AlterRealmAuthorize::As::kOwner));
}

BOOST_AUTO_TEST_CASE(unlock_and_grants_carry_secrets_and_intervals) {
  auto u = parse_as<ast::UnlockRealm>("UNLOCK REALM pii PASSWORD 'it''s secret'");
  BOOST_TEST(u.secret.reveal() == "it's secret");
  BOOST_TEST((u.by == ast::UnlockRealm::By::kPassword));
  auto t = parse_as<ast::UnlockRealm>("unlock realm pii token 'abc'");
  BOOST_TEST((t.by == ast::UnlockRealm::By::kToken));
  BOOST_TEST((parse_as<ast::GrantVaultPassword>(
                  "GRANT VAULT PASSWORD ON REALM r TO u VALID FOR INTERVAL '1 hour 30 minutes'")
                  .valid_for == 5400s));
  auto e = parse_as<ast::EmergencyUnlock>(
      "EMERGENCY UNLOCK REALM r AUTHORIZED BY boss REASON 'outage' VALID FOR INTERVAL '1 HOUR'");
  BOOST_TEST((e.valid_for == 3600s));
  BOOST_TEST(e.authorized_by == "boss");
  BOOST_TEST(e.reason == "outage");
  BOOST_TEST(!parse_as<ast::LockRealm>("LOCK ALL REALMS").realm.has_value());
}

BOOST_AUTO_TEST_CASE(command_rule_structure) {
  auto r = parse_as<ast::CreateCommandRule>(
      "CREATE COMMAND RULE business_hours_only FOR SELECT ON TABLE financial_records "
      "DENY WHEN HOUR(CURRENT_TIMESTAMP) NOT BETWEEN 9 AND 17 MESSAGE 'hours'");
  BOOST_TEST((r.commands == std::vector<ast::Command>{ast::Command::kSelect}));
  BOOST_TEST((r.target.kind == ast::RuleTarget::Kind::kTable));
  BOOST_TEST(r.target.object.table.name == "financial_records");
  BOOST_TEST((r.action == ast::CreateCommandRule::Action::kDenyWhen));
  const auto& between = std::get<ast::Between>(r.condition->node);
  BOOST_TEST(between.negated);
  const auto& hour = std::get<ast::Call>(between.operand->node);
  BOOST_TEST((hour.function == ast::Function::kHour));
  BOOST_TEST(
      (std::get<ast::FactorRef>(hour.args[0].node).factor == ast::Factor::kCurrentTimestamp));
  BOOST_TEST(std::get<std::int64_t>(std::get<ast::Literal>(between.low->node).value) == 9);
  BOOST_TEST(r.message.value() == "hours");

  auto d = parse_as<ast::CreateCommandRule>(
      "CREATE COMMAND RULE no_drop_pii FOR DELETE ON TABLE users DENY FROM ROLE dba, sysadmin, "
      "USER bob, carol");
  BOOST_REQUIRE_EQUAL(d.principals.size(), 4u);
  BOOST_TEST((d.principals[1] == ast::Principal{ast::PrincipalKind::kRole, "sysadmin"}));
  BOOST_TEST((d.principals[3] == ast::Principal{ast::PrincipalKind::kUser, "carol"}));
  BOOST_TEST(!d.condition.has_value());
}

BOOST_AUTO_TEST_CASE(expression_precedence_is_or_and_not) {
  auto r = parse_as<ast::CreateRuleSet>("CREATE RULE SET s ALL (NOT tls AND tls OR tls)");
  const auto& top = std::get<ast::Logical>(r.conditions[0].node);
  BOOST_TEST((top.op == ast::LogicOp::kOr));
  const auto& left = std::get<ast::Logical>(top.lhs->node);
  BOOST_TEST((left.op == ast::LogicOp::kAnd));
  BOOST_TEST(std::holds_alternative<ast::Not>(left.lhs->node));
}

BOOST_AUTO_TEST_CASE(builtin_roles_are_recognised_in_any_case) {
  auto g = parse_as<ast::GrantRole>("GRANT Vault_Admin TO security_team");
  BOOST_TEST((g.builtin == ast::BuiltinRole::kVaultAdmin));
  BOOST_TEST(!parse_as<ast::GrantRole>("GRANT analysts TO bob").builtin.has_value());
  BOOST_TEST(!parse_as<ast::GrantRole>("REVOKE dba FROM bob").grant);
  // Quoted names keep their case, so "DBA" is not the builtin dba.
  BOOST_TEST(!parse_as<ast::GrantRole>("GRANT \"DBA\" TO bob").builtin.has_value());
}

BOOST_AUTO_TEST_CASE(create_table_with_encrypted_columns_hands_the_rest_to_the_engine) {
  auto t = parse_as<ast::CreateTable>(
      "CREATE TABLE users (\n user_id BIGINT,\n ssn VARCHAR(11) ENCRYPTED, -- TEK\n"
      " \"Card\" VARCHAR(16) ENCRYPTED NOT NULL,\n PRIMARY KEY (user_id)\n) TABLESPACE "
      "secure_data");
  BOOST_TEST((t.columns == std::vector<std::string>{"user_id", "ssn", "Card"}));
  BOOST_TEST((t.encrypted_columns == std::vector<std::string>{"ssn", "Card"}));
  BOOST_TEST(t.tablespace.value() == "secure_data");
  BOOST_TEST(t.engine_sql ==
             "CREATE TABLE users (\n user_id BIGINT,\n ssn VARCHAR(11), -- TEK\n"
             " \"Card\" VARCHAR(16) NOT NULL,\n PRIMARY KEY (user_id)\n)");
  BOOST_TEST(!t.temporary);
  auto temp = parse_as<ast::CreateTable>("CREATE TEMP TABLE x (ssn TEXT ENCRYPTED)");
  BOOST_TEST(temp.temporary);
  BOOST_TEST(temp.engine_sql == "CREATE TEMP TABLE x (ssn TEXT)");
  auto plain = grammar::parse("CREATE TABLE t (encrypted INT, b TEXT)");
  BOOST_TEST(std::holds_alternative<ast::EngineSql>(plain->node));
}

BOOST_AUTO_TEST_CASE(encrypted_with_type_marks_deterministic_columns) {
  auto t = parse_as<ast::CreateTable>(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, ssn TEXT ENCRYPTED WITH (TYPE = DETERMINISTIC) "
      "NOT NULL, card TEXT ENCRYPTED WITH (type = randomized), note TEXT ENCRYPTED)");
  BOOST_TEST((t.encrypted_columns == std::vector<std::string>{"ssn", "card", "note"}));
  BOOST_TEST((t.deterministic_columns == std::vector<std::string>{"ssn"}));
  BOOST_TEST(t.engine_sql ==
             "CREATE TABLE t (id INTEGER PRIMARY KEY, ssn TEXT NOT NULL, card TEXT, note TEXT)");
  for (const char* bad :
       {"CREATE TABLE t (a TEXT ENCRYPTED WITH (TYPE = ROT13))",
        "CREATE TABLE t (a TEXT ENCRYPTED WITH (KEY_ID = 'k'))",
        "CREATE TABLE t (a TEXT ENCRYPTED WITH (TYPE = DETERMINISTIC, TYPE = RANDOMIZED))",
        "CREATE TABLE t (a TEXT ENCRYPTED WITH TYPE)"}) {
    auto r = grammar::parse(bad);
    BOOST_TEST_REQUIRE(!r.ok(), bad);
    BOOST_TEST(r.error().code == sqlstate::kSyntaxError, bad);
    BOOST_TEST(r.error().message.find("ENCRYPTED WITH (TYPE = RANDOMIZED | DETERMINISTIC)") !=
                   std::string::npos,
               r.error().message);
  }
}

BOOST_AUTO_TEST_CASE(explain_vault_keeps_engine_sql_as_text) {
  auto e = parse_as<ast::ExplainVault>("EXPLAIN VAULT  SELECT ssn FROM users WHERE note = 'a;b'");
  BOOST_TEST(std::get<ast::EngineSql>(e.statement->node).text ==
             "SELECT ssn FROM users WHERE note = 'a;b'");
  auto inner = parse_as<ast::ExplainVault>("EXPLAIN VAULT DROP REALM r");
  BOOST_TEST(std::get<ast::DropRealm>(inner.statement->node).name == "r");
}

BOOST_AUTO_TEST_CASE(keywords_any_case_quoted_identifiers_and_comments) {
  const char* variants[] = {
      "CREATE REALM pii DESCRIPTION 'd'",
      "create realm PII description 'd'",
      "CrEaTe ReAlM pIi DeScRiPtIoN 'd'",
      "CREATE /* a comment */ REALM -- another\n pii\n\tDESCRIPTION\n'd' ;",
      "CREATE REALM \"pii\" DESCRIPTION 'd'",
  };
  const auto expected = parse_as<ast::CreateRealm>(variants[0]);
  for (const char* v : variants) BOOST_TEST((parse_as<ast::CreateRealm>(v) == expected), v);
  BOOST_TEST(parse_as<ast::CreateRealm>("CREATE REALM \"PII\"").name == "PII");
  BOOST_TEST(parse_as<ast::CreateRealm>("CREATE REALM \"a\"\"b\"").name == "a\"b");
  BOOST_TEST(parse_as<ast::CreateRealm>("CREATE REALM \"über\"").name == "über");
  BOOST_TEST(parse_as<ast::CreateRealm>("CREATE REALM \"select\"").name == "select");
}

BOOST_AUTO_TEST_CASE(audit_hold_timestamps_are_utc) {
  auto h = parse_as<ast::CreateAuditHold>(
      "CREATE AUDIT HOLD h FROM '2025-10-11T06:30:00+02:00' TO '2025-10-12' REASON 'r'");
  BOOST_TEST(grammar::format_timestamp(h.from) == "2025-10-11T04:30:00Z");
  BOOST_TEST(grammar::format_timestamp(h.to) == "2025-10-12T00:00:00Z");
}

BOOST_AUTO_TEST_CASE(syntax_errors_name_line_and_column_across_a_script) {
  auto r = grammar::parse_script("SELECT 1;\nCREATE REALM a;\n  CREATE REALM b\n    OWNER;");
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().message ==
             "syntax error at line 4, column 10: unexpected end of statement, expected a name");
  BOOST_TEST(r.error().position == 53);
  auto ok = grammar::parse_script("SELECT 1; ; CREATE REALM a; -- done");
  BOOST_REQUIRE(ok.ok());
  BOOST_TEST(ok->size() == 2u);
}

BOOST_AUTO_TEST_CASE(every_design_document_example_parses) {
  std::ifstream in(DBVAULT_GRAMMAR_CASES "/design_document.sql");
  std::stringstream text;
  text << in.rdbuf();
  auto r = grammar::parse_script(text.str());
  BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  std::vector<std::string_view> kinds;
  for (const auto& s : *r) kinds.push_back(ast::statement_kind(s));
  const std::vector<std::string_view> expected{"CREATE TABLESPACE",
                                               "CREATE TABLE",
                                               "CREATE TABLE",
                                               "CREATE REALM",
                                               "ALTER REALM",
                                               "ALTER REALM",
                                               "CONNECT",
                                               "ENGINE SQL",
                                               "UNLOCK REALM",
                                               "ENGINE SQL",
                                               "CREATE REALM",
                                               "CREATE COMMAND RULE",
                                               "CREATE COMMAND RULE",
                                               "CREATE COMMAND RULE",
                                               "GRANT VAULT PASSWORD",
                                               "CONNECT",
                                               "UNLOCK REALM",
                                               "ENGINE SQL",
                                               "BACKUP DATABASE",
                                               "RESTORE DATABASE",
                                               "EMERGENCY UNLOCK",
                                               "ALTER TABLE",
                                               "ROTATE MASTER KEY",
                                               "CREATE MASTER KEY",
                                               "ALTER TABLESPACE",
                                               "ENGINE SQL",
                                               "ALTER DATABASE",
                                               "CREATE ROLE",
                                               "GRANT ROLE",
                                               "CREATE REALM"};
  BOOST_TEST(kinds == expected, boost::test_tools::per_element());
}
