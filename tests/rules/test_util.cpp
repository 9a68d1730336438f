#include "tests/rules/test_util.h"

#include <boost/test/unit_test.hpp>

namespace dbvault::rules::test {

namespace {
ast::Statement parse_ok(std::string_view sql) {
  auto st = grammar::parse(sql);
  BOOST_TEST_REQUIRE(st.ok(),
                     "parse failed: " << (st.ok() ? "" : st.error().message) << " in " << sql);
  return std::move(st).value();
}
}  // namespace

void MapResolver::add_rule_set(std::string_view sql) {
  auto st = parse_ok(sql);
  auto* set = std::get_if<ast::CreateRuleSet>(&st.node);
  BOOST_TEST_REQUIRE(set != nullptr);
  rule_sets[set->name] = *set;
}

Factors Session::factors() const {
  Factors f;
  f.current_user = current_user;
  f.session_user = session_user;
  f.program_name = program_name;
  f.client_ip = client_ip;
  f.auth_method = auth_method;
  f.tls = tls;
  f.now = now;
  f.current_user_id = user_id;
  f.session_user_id = user_id;
  f.roles = roles.view();
  f.unlocked_realms = unlocked.view();
  f.client_address = parse_client_address(client_ip);
  return f;
}

TimePoint Session::at(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
  using namespace std::chrono;
  const sys_days day = year{y} / month{m} / ::std::chrono::day{d};
  return time_point_cast<microseconds>(day + hours{hh} + minutes{mm} + seconds{ss});
}

ast::CreateCommandRule parse_rule(std::string_view sql) {
  auto st = parse_ok(sql);
  auto* rule = std::get_if<ast::CreateCommandRule>(&st.node);
  BOOST_TEST_REQUIRE(rule != nullptr);
  return *rule;
}

ast::Expr parse_condition(std::string_view cond) {
  auto rule = parse_rule("CREATE COMMAND RULE t FOR SELECT ON ANY DENY WHEN " + std::string(cond));
  BOOST_TEST_REQUIRE(rule.condition.has_value());
  return *rule.condition;
}

Result<TriBool> eval(std::string_view cond, const Session& session, const MapResolver& resolver) {
  PredicateCompiler compiler(resolver);
  auto p = compiler.compile(parse_condition(cond));
  if (!p) return std::move(p).error();
  return p->eval(session.factors());
}

}  // namespace dbvault::rules::test
