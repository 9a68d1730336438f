// Runs tests/grammar/cases/*.cases: every accepted statement prints in its canonical form and
// round-trips; every malformed one fails with the right SQLSTATE, position and message.
#include <boost/test/unit_test.hpp>

#include "case_file.h"
#include "grammar/grammar.h"

using namespace dbvault;

namespace {

std::string where(const test::GrammarCase& c) { return c.file + ":" + std::to_string(c.line); }

}  // namespace

BOOST_AUTO_TEST_CASE(accepted_statements_print_canonically_and_round_trip) {
  const auto cases = test::read_cases(DBVAULT_GRAMMAR_CASES "/statements.cases");
  BOOST_REQUIRE_GE(cases.size(), 100u);
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(where(c) << ": " << c.sql) {
      BOOST_REQUIRE(c.expect_ok);
      auto parsed = grammar::parse(c.sql);
      BOOST_REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? "" : parsed.error().message));
      BOOST_TEST(grammar::to_sql(*parsed) == c.expected);
      const std::string revealed = grammar::to_sql(*parsed, grammar::Secrets::kReveal);
      auto again = grammar::parse(revealed);
      BOOST_REQUIRE_MESSAGE(again.ok(), revealed + " -> " + (again.ok() ? "" : again.error().message));
      BOOST_TEST((*again == *parsed), "round trip changed the AST: " << revealed);
      BOOST_TEST(!ast::statement_kind(*parsed).empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(malformed_statements_fail_with_sqlstate_position_and_message) {
  const auto cases = test::read_cases(DBVAULT_GRAMMAR_CASES "/errors.cases");
  BOOST_REQUIRE_GE(cases.size(), 40u);
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(where(c) << ": " << c.sql) {
      BOOST_REQUIRE(!c.expect_ok);
      auto parsed = grammar::parse(c.sql);
      if (parsed.ok()) BOOST_FAIL("parsed although malformed: " << grammar::to_sql(*parsed));
      const Error& e = parsed.error();
      BOOST_TEST(e.code.code() == c.sqlstate, e.message);
      BOOST_TEST(e.position == c.position, e.message);
      BOOST_TEST(e.message.find(c.expected) != std::string::npos,
                 "message \"" << e.message << "\" lacks \"" << c.expected << "\"");
      if (e.code == sqlstate::kSyntaxError && e.position > 0) {
        BOOST_TEST(e.message.rfind("syntax error at line ", 0) == 0, e.message);
      }
    }
  }
}
