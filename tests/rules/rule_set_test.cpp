// Rule sets: CREATE RULE SET n ALL|ANY (...), referenced by RULE_SET('n').
#include <boost/test/unit_test.hpp>

#include "tests/rules/test_util.h"

namespace dbvault::rules::test {
namespace {

struct Fixture {
  MapResolver resolver;
  Session session;
  Fixture() {
    resolver.roles = {{"dba", 0}};
    resolver.add_rule_set(
        "CREATE RULE SET corp ANY (IN_CIDR(client_ip, '10.0.0.0/8'), "
        "IN_CIDR(client_ip, 'fd00::/8'))");
    resolver.add_rule_set(
        "CREATE RULE SET hours ALL (HOUR(CURRENT_TIMESTAMP) >= 9, "
        "HOUR(CURRENT_TIMESTAMP) < 18, DAY_OF_WEEK(CURRENT_TIMESTAMP) <= 5)");
    resolver.add_rule_set("CREATE RULE SET safe ALL (RULE_SET('corp'), RULE_SET('hours'), tls)");
  }
  TriBool value(std::string_view cond) {
    auto v = eval(cond, session, resolver);
    BOOST_TEST_REQUIRE(v.ok(), cond << ": " << (v.ok() ? "" : v.error().message));
    return *v;
  }
  std::string error(std::string_view cond) {
    auto v = eval(cond, session, resolver);
    BOOST_TEST_REQUIRE(!v.ok(), cond);
    return std::string(v.error().code.code()) + " " + v.error().message;
  }
};

BOOST_FIXTURE_TEST_SUITE(rule_sets, Fixture)

BOOST_AUTO_TEST_CASE(any_is_or) {
  session.client_ip = "10.9.8.7";
  BOOST_TEST((value("RULE_SET('corp')") == TriBool::kTrue));
  session.client_ip = "fd00::5";
  BOOST_TEST((value("RULE_SET('corp')") == TriBool::kTrue));
  session.client_ip = "8.8.8.8";
  BOOST_TEST((value("RULE_SET('corp')") == TriBool::kFalse));
}

BOOST_AUTO_TEST_CASE(all_is_and) {
  session.now = Session::at(2025, 10, 17, 10, 0);  // Friday
  BOOST_TEST((value("RULE_SET('hours')") == TriBool::kTrue));
  session.now = Session::at(2025, 10, 18, 10, 0);  // Saturday
  BOOST_TEST((value("RULE_SET('hours')") == TriBool::kFalse));
  session.now = Session::at(2025, 10, 17, 18, 0);
  BOOST_TEST((value("NOT RULE_SET('hours')") == TriBool::kTrue));
}

BOOST_AUTO_TEST_CASE(three_valued) {
  resolver.add_rule_set("CREATE RULE SET all_null ALL (TRUE, NULL)");
  resolver.add_rule_set("CREATE RULE SET all_false ALL (NULL, FALSE)");
  resolver.add_rule_set("CREATE RULE SET any_null ANY (FALSE, NULL)");
  resolver.add_rule_set("CREATE RULE SET any_true ANY (NULL, TRUE)");
  BOOST_TEST((value("RULE_SET('all_null')") == TriBool::kUnknown));
  BOOST_TEST((value("RULE_SET('all_false')") == TriBool::kFalse));
  BOOST_TEST((value("RULE_SET('any_null')") == TriBool::kUnknown));
  BOOST_TEST((value("RULE_SET('any_true')") == TriBool::kTrue));
  BOOST_TEST((value("RULE_SET(NULL)") == TriBool::kUnknown));
}

BOOST_AUTO_TEST_CASE(nested) {
  session.now = Session::at(2025, 10, 13, 11, 0);
  session.client_ip = "10.0.0.1";
  BOOST_TEST((value("RULE_SET('safe')") == TriBool::kTrue));
  session.tls = false;
  BOOST_TEST((value("RULE_SET('safe')") == TriBool::kFalse));
  session.tls = true;
  session.client_ip = "bogus";  // evaluation error inside a nested set surfaces
  BOOST_TEST(error("RULE_SET('safe')").starts_with("22023"));
}

BOOST_AUTO_TEST_CASE(names_are_folded_like_identifiers) {
  session.client_ip = "10.0.0.1";
  BOOST_TEST((value("RULE_SET('CORP')") == TriBool::kTrue));
}

BOOST_AUTO_TEST_CASE(in_a_command_rule) {
  PredicateCompiler compiler(resolver);
  auto rule = compile_command_rule(
      parse_rule("CREATE COMMAND RULE outside FOR ALL ON ANY ALLOW ONLY WHEN RULE_SET('corp')"), 1,
      compiler);
  BOOST_TEST_REQUIRE(rule.ok());
  session.client_ip = "8.8.8.8";
  BOOST_TEST(rule->check(session.factors()).denies);
  session.client_ip = "10.1.1.1";
  BOOST_TEST(!rule->check(session.factors()).denies);
}

BOOST_AUTO_TEST_CASE(unknown_rule_set) {
  BOOST_TEST(error("RULE_SET('nope')") == "42704 rule set \"nope\" does not exist");
  resolver.add_rule_set("CREATE RULE SET broken ALL (HAS_ROLE('ghost'))");
  BOOST_TEST(error("RULE_SET('broken')") == "42704 role \"ghost\" does not exist");
}

BOOST_AUTO_TEST_CASE(argument_must_be_a_literal) {
  BOOST_TEST(error("RULE_SET(program_name)").starts_with("0A000"));
}

BOOST_AUTO_TEST_CASE(cycles_are_rejected) {
  resolver.add_rule_set("CREATE RULE SET self ANY (tls, RULE_SET('self'))");
  BOOST_TEST(error("RULE_SET('self')") ==
             "42P17 rule set \"self\" references itself: self -> self");
  resolver.add_rule_set("CREATE RULE SET a ALL (RULE_SET('b'))");
  resolver.add_rule_set("CREATE RULE SET b ALL (tls, RULE_SET('c'))");
  resolver.add_rule_set("CREATE RULE SET c ANY (FALSE, RULE_SET('a'))");
  BOOST_TEST(error("RULE_SET('a')") == "42P17 rule set \"a\" references itself: a -> b -> c -> a");
  BOOST_TEST(error("tls OR RULE_SET('c')").starts_with("42P17"));
}

BOOST_AUTO_TEST_CASE(a_shared_rule_set_is_not_a_cycle) {
  resolver.add_rule_set("CREATE RULE SET twice ALL (RULE_SET('corp'), NOT RULE_SET('corp'))");
  session.client_ip = "10.0.0.1";
  BOOST_TEST((value("RULE_SET('twice')") == TriBool::kFalse));
}

BOOST_AUTO_TEST_CASE(nesting_depth_is_bounded) {
  for (int i = 0; i < 40; ++i) {
    resolver.add_rule_set("CREATE RULE SET s" + std::to_string(i) + " ALL (RULE_SET('s" +
                          std::to_string(i + 1) + "'))");
  }
  resolver.add_rule_set("CREATE RULE SET s40 ALL (TRUE)");
  BOOST_TEST(error("RULE_SET('s0')").starts_with("54001"));
  BOOST_TEST((value("RULE_SET('s10')") == TriBool::kTrue));  // 31 levels: fine
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::rules::test
