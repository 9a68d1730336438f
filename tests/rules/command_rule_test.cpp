// Command rules and the RuleIndex: matching by command and target, the seed rules of the
// design document, SIMULATION, DISABLED, CONNECT, fail-closed evaluation, EXPLAIN rows.
#include <boost/test/unit_test.hpp>

#include "tests/rules/index_fixture.h"

namespace dbvault::rules::test {
namespace {

using C = ast::Command;
using Fixture = IndexFixture;

constexpr std::string_view kNoDropPii =
    "CREATE COMMAND RULE no_drop_pii FOR DELETE ON TABLE users DENY FROM ROLE dba, sysadmin "
    "MESSAGE 'PII tables cannot be dropped without approval'";
constexpr std::string_view kNoExportSsn =
    "CREATE COMMAND RULE no_export_ssn FOR SELECT ON COLUMN users.ssn "
    "DENY WHEN program_name = 'export_tool' MESSAGE 'SSN export requires security team approval'";
constexpr std::string_view kBusinessHours =
    "CREATE COMMAND RULE business_hours_only FOR SELECT ON TABLE financial_records "
    "DENY WHEN HOUR(CURRENT_TIMESTAMP) NOT BETWEEN 9 AND 17 "
    "MESSAGE 'Financial data accessible only during business hours'";

BOOST_FIXTURE_TEST_SUITE(seed_rules, Fixture)

BOOST_AUTO_TEST_CASE(no_drop_pii_denies_role_dba_and_sysadmin_only) {
  const RuleIndex idx = index({kNoDropPii});
  BOOST_TEST(denied_by(idx, {on(C::kDelete, kUsers)}) == "");  // no role
  session.roles.set(kAnalyst);
  BOOST_TEST(denied_by(idx, {on(C::kDelete, kUsers)}) == "");
  session.roles.set(kDba);
  auto d = decide(idx, {on(C::kDelete, kUsers)});
  BOOST_TEST_REQUIRE(!d.allowed());
  BOOST_TEST(d.denial->rule->name == "no_drop_pii");
  BOOST_TEST((d.denial->reason == RuleReason::kPrincipalMatched));
  const Error e = d.error();
  BOOST_TEST(e.code.code() == "42501");
  BOOST_TEST(e.message == "PII tables cannot be dropped without approval");
  BOOST_TEST(e.detail == "denied by command rule \"no_drop_pii\" (FOR DELETE ON TABLE users)");
  BOOST_TEST(denied_by(idx, {on(C::kSelect, kUsers)}) == "");   // other command
  BOOST_TEST(denied_by(idx, {on(C::kDelete, kOrders)}) == "");  // other table
  session.roles = IdBitset();
  session.roles.set(kSysadmin);
  BOOST_TEST(denied_by(idx, {on(C::kDelete, kUsers)}) == "no_drop_pii");
}

BOOST_AUTO_TEST_CASE(no_export_ssn_denies_program_export_tool_only) {
  const RuleIndex idx = index({kNoExportSsn});
  BOOST_TEST(denied_by(idx, {on(C::kSelect, kSsn)}) == "");  // psql
  session.program_name = "export_tool";
  auto d = decide(idx, {on(C::kSelect, kSsn)});
  BOOST_TEST_REQUIRE(!d.allowed());
  BOOST_TEST(d.error().message == "SSN export requires security team approval");
  BOOST_TEST(d.denial->object == kSsn);
  BOOST_TEST(denied_by(idx, {on(C::kSelect, kEmail)}) == "");  // another column
  BOOST_TEST(denied_by(idx, {on(C::kSelect, kUsers)}) == "");  // the table is not the column
  BOOST_TEST(denied_by(idx, {on(C::kUpdate, kSsn)}) == "");    // another command
  session.program_name = "export_tool2";
  BOOST_TEST(denied_by(idx, {on(C::kSelect, kSsn)}) == "");
}

BOOST_AUTO_TEST_CASE(business_hours_only_at_the_edges) {
  const RuleIndex idx = index({kBusinessHours});
  const auto at = [&](int hh, int mm) {
    session.now = Session::at(2025, 10, 13, hh, mm);
    return denied_by(idx, {on(C::kSelect, kFinancial)});
  };
  BOOST_TEST(at(8, 59) == "business_hours_only");
  BOOST_TEST(at(9, 0) == "");
  BOOST_TEST(at(12, 30) == "");
  BOOST_TEST(at(17, 59) == "");
  BOOST_TEST(at(18, 0) == "business_hours_only");
  BOOST_TEST(at(0, 0) == "business_hours_only");
  session.now = Session::at(2025, 10, 13, 18, 0);
  BOOST_TEST(decide(idx, {on(C::kSelect, kFinancial)}).error().message ==
             "Financial data accessible only during business hours");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(matching, Fixture)

BOOST_AUTO_TEST_CASE(rule_on_a_table_applies_to_its_columns) {
  session.roles.set(kDba);
  const RuleIndex idx = index({kNoDropPii});
  BOOST_TEST(denied_by(idx, {on(C::kDelete, kSsn)}) == "no_drop_pii");
  BOOST_TEST(denied_by(idx, {on(C::kDelete, kEmail)}) == "no_drop_pii");
  ObjectAccess orphan{C::kDelete, kSsn, kNoId, {}};  // same column id, no parent given
  BOOST_TEST(denied_by(idx, {orphan}) == "");
}

BOOST_AUTO_TEST_CASE(rule_on_a_realm_applies_to_every_object_in_it) {
  const RuleIndex idx =
      index({"CREATE COMMAND RULE pii_tls FOR SELECT, UPDATE ON REALM pii "
             "ALLOW ONLY WHEN tls"});
  session.tls = false;
  BOOST_TEST(denied_by(idx, {on(C::kSelect, kUsers)}) == "pii_tls");
  BOOST_TEST(denied_by(idx, {on(C::kUpdate, kSsn)}) == "pii_tls");
  BOOST_TEST(denied_by(idx, {on(C::kInsert, kSsn)}) == "");
  BOOST_TEST(denied_by(idx, {on(C::kSelect, kFinancial)}) == "");  // in another realm
  BOOST_TEST(denied_by(idx, {on(C::kSelect, kOrders)}) == "");     // in no realm
  session.tls = true;
  BOOST_TEST(denied_by(idx, {on(C::kSelect, kUsers)}) == "");
}

BOOST_AUTO_TEST_CASE(object_in_many_realms) {
  const RuleIndex idx = index({"CREATE COMMAND RULE fin FOR ALL ON REALM finance DENY WHEN TRUE"});
  IdBitset both;
  both.set(kPii);
  both.set(kFinance);
  BOOST_TEST(denied_by(idx, {ObjectAccess{C::kSelect, kOrders, kNoId, both.view()}}) == "fin");
  BOOST_TEST(denied_by(idx, {ObjectAccess{C::kSelect, kOrders, kNoId, pii_realm.view()}}) == "");
}

BOOST_AUTO_TEST_CASE(on_any_and_for_all) {
  const RuleIndex idx =
      index({"CREATE COMMAND RULE no_tool FOR ALL ON ANY "
             "DENY WHEN program_name LIKE 'dump%'"});
  session.program_name = "dumper";
  for (C c : {C::kSelect, C::kInsert, C::kUpdate, C::kDelete, C::kDrop, C::kTruncate, C::kAlter,
              C::kCreate, C::kGrant, C::kExport}) {
    BOOST_TEST(denied_by(idx, {on(c, kOrders)}) == "no_tool", command_name(c));
    BOOST_TEST(denied_by(idx, {on(c, kSsn)}) == "no_tool", command_name(c));
  }
  session.program_name = "psql";
  BOOST_TEST(denied_by(idx, {on(C::kSelect, kOrders)}) == "");
}

BOOST_AUTO_TEST_CASE(applicable_rules_in_checking_order) {
  const RuleIndex idx = index({
      "CREATE COMMAND RULE any1 FOR SELECT ON ANY DENY WHEN FALSE",
      "CREATE COMMAND RULE realm1 FOR SELECT ON REALM pii DENY WHEN FALSE",
      "CREATE COMMAND RULE table1 FOR SELECT ON TABLE users DENY WHEN FALSE",
      "CREATE COMMAND RULE col1 FOR SELECT ON COLUMN users.ssn DENY WHEN FALSE",
      "CREATE COMMAND RULE col2 FOR INSERT ON COLUMN users.ssn DENY WHEN FALSE",
      "CREATE COMMAND RULE other FOR SELECT ON TABLE orders DENY WHEN FALSE",
  });
  std::vector<std::string> names;
  for (const CommandRule* r : idx.applicable(on(C::kSelect, kSsn))) names.push_back(r->name);
  const std::vector<std::string> want{"col1", "table1", "realm1", "any1"};
  BOOST_TEST(names == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(first_denial_follows_access_order) {
  const RuleIndex idx = index({
      "CREATE COMMAND RULE a FOR SELECT ON TABLE orders DENY WHEN TRUE",
      "CREATE COMMAND RULE b FOR SELECT ON TABLE users DENY WHEN TRUE",
  });
  BOOST_TEST(denied_by(idx, {on(C::kSelect, kUsers), on(C::kSelect, kOrders)}) == "b");
  BOOST_TEST(denied_by(idx, {on(C::kSelect, kOrders), on(C::kSelect, kUsers)}) == "a");
}

BOOST_AUTO_TEST_CASE(empty_index_allows) {
  const RuleIndex idx;
  BOOST_TEST(idx.size() == 0U);
  BOOST_TEST(denied_by(idx, {on(C::kSelect, kUsers)}) == "");
  BOOST_TEST(idx.evaluate_login(session.factors()).allowed());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(actions, Fixture)

BOOST_AUTO_TEST_CASE(deny_from_user_matches_current_or_session_user) {
  const RuleIndex idx =
      index({"CREATE COMMAND RULE no_alice FOR SELECT ON TABLE orders "
             "DENY FROM USER alice"});
  BOOST_TEST(denied_by(idx, {on(C::kSelect, kOrders)}) == "no_alice");
  session.user_id = kBob;
  BOOST_TEST(denied_by(idx, {on(C::kSelect, kOrders)}) == "");
  Factors f = session.factors();
  f.session_user_id = kAlice;  // alice logged in, then became bob
  const std::vector<ObjectAccess> a{on(C::kSelect, kOrders)};
  BOOST_TEST(!idx.evaluate(a, f).allowed());
}

BOOST_AUTO_TEST_CASE(deny_from_with_when) {
  const RuleIndex idx =
      index({"CREATE COMMAND RULE dba_psql_only FOR SELECT ON ANY "
             "DENY FROM ROLE dba WHEN program_name <> 'psql'"});
  session.program_name = "excel";
  BOOST_TEST(denied_by(idx, {on(C::kSelect, kOrders)}) == "");  // not a dba
  session.roles.set(kDba);
  BOOST_TEST(denied_by(idx, {on(C::kSelect, kOrders)}) == "dba_psql_only");
  session.program_name = "psql";
  BOOST_TEST(denied_by(idx, {on(C::kSelect, kOrders)}) == "");
}

BOOST_AUTO_TEST_CASE(allow_only_when) {
  const RuleIndex idx =
      index({"CREATE COMMAND RULE office FOR ALL ON TABLE orders "
             "ALLOW ONLY WHEN IN_CIDR(client_ip, '10.0.0.0/8') "
             "MESSAGE 'office network only'"});
  session.client_ip = "10.20.30.40";
  BOOST_TEST(denied_by(idx, {on(C::kUpdate, kOrders)}) == "");
  session.client_ip = "192.168.1.1";
  BOOST_TEST(denied_by(idx, {on(C::kUpdate, kOrders)}) == "office");
  session.client_ip = "";  // Unix-domain socket: no address, in no block
  BOOST_TEST(denied_by(idx, {on(C::kUpdate, kOrders)}) == "office");
}

BOOST_AUTO_TEST_CASE(default_message_names_the_rule) {
  const RuleIndex idx = index({"CREATE COMMAND RULE quiet FOR SELECT ON ANY DENY WHEN TRUE"});
  auto d = decide(idx, {on(C::kSelect, kOrders)});
  BOOST_TEST_REQUIRE(!d.allowed());
  BOOST_TEST(d.error().message == "denied by command rule \"quiet\"");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(fail_closed, Fixture)

BOOST_AUTO_TEST_CASE(unknown_denies_whatever_the_action) {
  const RuleIndex deny_when =
      index({"CREATE COMMAND RULE u FOR SELECT ON ANY "
             "DENY WHEN program_name = NULL"});
  auto d = decide(deny_when, {on(C::kSelect, kOrders)});
  BOOST_TEST_REQUIRE(!d.allowed());
  BOOST_TEST((d.denial->reason == RuleReason::kConditionUnknown));
  const RuleIndex allow_only =
      index({"CREATE COMMAND RULE u FOR SELECT ON ANY "
             "ALLOW ONLY WHEN program_name = NULL OR FALSE"});
  BOOST_TEST(denied_by(allow_only, {on(C::kSelect, kOrders)}) == "u");
  session.roles.set(kDba);
  const RuleIndex deny_from =
      index({"CREATE COMMAND RULE u FOR SELECT ON ANY "
             "DENY FROM ROLE dba WHEN NULL"});
  BOOST_TEST(denied_by(deny_from, {on(C::kSelect, kOrders)}) == "u");
}

BOOST_AUTO_TEST_CASE(evaluation_error_denies) {
  session.client_ip = "not-an-address";
  for (std::string_view sql :
       {"CREATE COMMAND RULE e FOR SELECT ON ANY DENY WHEN IN_CIDR(client_ip, '10.0.0.0/8')",
        "CREATE COMMAND RULE e FOR SELECT ON ANY DENY WHEN NOT IN_CIDR(client_ip, '10.0.0.0/8')",
        "CREATE COMMAND RULE e FOR SELECT ON ANY ALLOW ONLY WHEN "
        "NOT IN_CIDR(client_ip, '10.0.0.0/8')"}) {
    const RuleIndex idx = index({sql});
    auto d = decide(idx, {on(C::kSelect, kOrders)});
    BOOST_TEST_REQUIRE(!d.allowed(), sql);
    BOOST_TEST((d.denial->reason == RuleReason::kEvaluationError));
  }
}

BOOST_AUTO_TEST_CASE(a_rule_kept_with_a_failing_predicate_denies) {
  PredicateCompiler compiler(resolver);
  auto rule = compile_command_rule(
      parse_rule("CREATE COMMAND RULE r FOR SELECT ON ANY DENY WHEN HAS_ROLE('dba')"), 1, compiler);
  BOOST_TEST_REQUIRE(rule.ok());
  rule->condition = CompiledPredicate::failing(
      make_error(sqlstate::kUndefinedObject, "role \"dba\" does not exist"), "HAS_ROLE('dba')");
  std::vector<CommandRule> rules;
  rules.push_back(std::move(*rule));
  const RuleIndex idx(std::move(rules));
  BOOST_TEST(denied_by(idx, {on(C::kSelect, kOrders)}) == "r");
  const std::vector<ObjectAccess> a{on(C::kSelect, kOrders)};
  auto rows = idx.explain(a, session.factors());
  BOOST_TEST_REQUIRE(rows.size() == 1U);
  BOOST_TEST(rows[0].why.find("role \"dba\" does not exist") != std::string::npos, rows[0].why);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(states, Fixture)

BOOST_AUTO_TEST_CASE(simulation_reports_but_allows) {
  const RuleIndex idx = index({
      "CREATE COMMAND RULE sim FOR SELECT ON ANY DENY WHEN TRUE MESSAGE 'would deny' SIMULATION",
      "CREATE COMMAND RULE sim_ok FOR SELECT ON ANY DENY WHEN FALSE SIMULATION",
  });
  auto d = decide(idx, {on(C::kSelect, kUsers), on(C::kSelect, kOrders), on(C::kSelect, kSsn)});
  BOOST_TEST(d.allowed());
  BOOST_TEST_REQUIRE(d.simulated.size() == 1U);  // once per decision, not once per object
  BOOST_TEST(d.simulated[0].rule->name == "sim");
  BOOST_TEST(d.simulated[0].object == kUsers);
}

BOOST_AUTO_TEST_CASE(simulation_before_a_real_denial_is_kept) {
  const RuleIndex idx = index({
      "CREATE COMMAND RULE sim FOR SELECT ON ANY DENY WHEN TRUE SIMULATION",
      "CREATE COMMAND RULE real FOR SELECT ON ANY DENY WHEN TRUE",
  });
  auto d = decide(idx, {on(C::kSelect, kOrders)});
  BOOST_TEST_REQUIRE(!d.allowed());
  BOOST_TEST(d.denial->rule->name == "real");
  BOOST_TEST(d.simulated.size() == 1U);
}

BOOST_AUTO_TEST_CASE(disabled_rules_are_ignored) {
  const RuleIndex idx = index({
      "CREATE COMMAND RULE off FOR SELECT ON ANY DENY WHEN TRUE DISABLED",
      "CREATE COMMAND RULE on_ FOR SELECT ON TABLE users DENY WHEN TRUE ENABLED",
  });
  BOOST_TEST(idx.size() == 1U);
  BOOST_TEST(idx.find(1) == nullptr);
  BOOST_TEST(idx.find(2) != nullptr);
  BOOST_TEST(denied_by(idx, {on(C::kSelect, kOrders)}) == "");
  BOOST_TEST(denied_by(idx, {on(C::kSelect, kUsers)}) == "on_");
  BOOST_TEST(
      idx.explain(std::vector<ObjectAccess>{on(C::kSelect, kOrders)}, session.factors()).empty());
}

BOOST_AUTO_TEST_CASE(connect_rules_run_at_login_only) {
  const RuleIndex idx = index({
      "CREATE COMMAND RULE tls_login FOR CONNECT ON ANY ALLOW ONLY WHEN tls MESSAGE 'use TLS'",
      "CREATE COMMAND RULE everything FOR ALL ON ANY DENY WHEN program_name = 'evil'",
      "CREATE COMMAND RULE selects FOR SELECT ON ANY DENY WHEN TRUE SIMULATION",
  });
  session.tls = false;
  auto login = idx.evaluate_login(session.factors());
  BOOST_TEST_REQUIRE(!login.allowed());
  BOOST_TEST(login.error().message == "use TLS");
  BOOST_TEST(login.denial->object == kNoId);
  BOOST_TEST(denied_by(idx, {on(C::kInsert, kOrders)}) == "");  // not a statement rule
  session.tls = true;
  BOOST_TEST(idx.evaluate_login(session.factors()).allowed());
  session.program_name = "evil";  // FOR ALL ON ANY includes CONNECT
  BOOST_TEST(idx.evaluate_login(session.factors()).denial->rule->name == "everything");
  BOOST_TEST(idx.explain_login(session.factors()).size() == 2U);  // not the SELECT rule
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(explain_vault, Fixture)

BOOST_AUTO_TEST_CASE(one_row_per_rule_checked_past_the_first_denial) {
  session.roles.set(kDba);
  session.program_name = "export_tool";
  const RuleIndex idx = index({
      kNoExportSsn,
      "CREATE COMMAND RULE pii_sim FOR SELECT ON REALM pii DENY FROM ROLE dba SIMULATION",
      "CREATE COMMAND RULE any_tls FOR ALL ON ANY ALLOW ONLY WHEN tls",
  });
  const std::vector<ObjectAccess> a{on(C::kSelect, kSsn), on(C::kSelect, kOrders)};
  const auto rows = idx.explain(a, session.factors());
  BOOST_TEST_REQUIRE(rows.size() == 4U);
  BOOST_TEST(rows[0].rule_name == "no_export_ssn");
  BOOST_TEST(rows[0].object == kSsn);
  BOOST_TEST((rows[0].verdict == ExplainVerdict::kDeny));
  BOOST_TEST(rows[0].why == "ON COLUMN users.ssn; condition is TRUE: program_name = 'export_tool'");
  BOOST_TEST(rows[1].rule_name == "pii_sim");
  BOOST_TEST((rows[1].verdict == ExplainVerdict::kSimulatedDeny));
  BOOST_TEST(rows[1].why == "ON REALM pii; session is ROLE dba (SIMULATION: allowed, audited)");
  BOOST_TEST(rows[2].rule_name == "any_tls");
  BOOST_TEST((rows[2].verdict == ExplainVerdict::kAllow));
  BOOST_TEST(rows[2].why == "ON ANY; condition is TRUE: tls");
  BOOST_TEST(rows[3].object == kOrders);
  BOOST_TEST(explain_verdict_name(rows[1].verdict) == "SIMULATED DENY");
}

BOOST_AUTO_TEST_CASE(why_for_principals_not_matched_and_unknown) {
  const RuleIndex idx =
      index({kNoDropPii, "CREATE COMMAND RULE n FOR DELETE ON ANY DENY WHEN client_ip = NULL"});
  const auto rows =
      idx.explain(std::vector<ObjectAccess>{on(C::kDelete, kUsers)}, session.factors());
  BOOST_TEST_REQUIRE(rows.size() == 2U);
  BOOST_TEST(rows[0].why == "ON TABLE users; session is none of ROLE dba, ROLE sysadmin");
  BOOST_TEST((rows[1].verdict == ExplainVerdict::kDeny));
  BOOST_TEST(rows[1].why == "ON ANY; condition is UNKNOWN (fail closed): client_ip = NULL");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(compile_errors, Fixture)

BOOST_AUTO_TEST_CASE(unknown_names_are_undefined_objects) {
  PredicateCompiler compiler(resolver);
  for (auto [sql, message] : std::initializer_list<std::pair<std::string_view, std::string_view>>{
           {"CREATE COMMAND RULE r FOR SELECT ON TABLE nope DENY WHEN TRUE",
            "table \"nope\" does not exist"},
           {"CREATE COMMAND RULE r FOR SELECT ON COLUMN users.nope DENY WHEN TRUE",
            "column \"users.nope\" does not exist"},
           {"CREATE COMMAND RULE r FOR SELECT ON REALM nope DENY WHEN TRUE",
            "realm \"nope\" does not exist"},
           {"CREATE COMMAND RULE r FOR SELECT ON ANY DENY FROM ROLE dba, nope",
            "role \"nope\" does not exist"},
           {"CREATE COMMAND RULE r FOR SELECT ON ANY DENY FROM USER nope",
            "user \"nope\" does not exist"},
           {"CREATE COMMAND RULE r FOR SELECT ON ANY DENY WHEN REALM_UNLOCKED('nope')",
            "realm \"nope\" does not exist"},
           {"CREATE COMMAND RULE r FOR SELECT ON ANY DENY WHEN RULE_SET('nope')",
            "rule set \"nope\" does not exist"},
       }) {
    auto r = compile_command_rule(parse_rule(sql), 1, compiler);
    BOOST_TEST_REQUIRE(!r.ok(), sql);
    BOOST_TEST(r.error().code.code() == "42704", sql);
    BOOST_TEST(r.error().message == message, sql);
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::rules::test
