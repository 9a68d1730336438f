// The expression language: every operator, function and factor with TRUE, FALSE and NULL
// cases, evaluated from conditions parsed by the real grammar.
#include <boost/test/unit_test.hpp>

#include "tests/rules/test_util.h"

namespace dbvault::rules::test {
namespace {

constexpr TriBool T = TriBool::kTrue;
constexpr TriBool F = TriBool::kFalse;
constexpr TriBool U = TriBool::kUnknown;

// Evaluates `cond` for the default session and checks the result.
void expect(std::string_view cond, TriBool want, const Session& s = Session{},
            const MapResolver& r = MapResolver{}) {
  auto got = eval(cond, s, r);
  BOOST_TEST_REQUIRE(got.ok(), cond << ": " << (got.ok() ? "" : got.error().message));
  BOOST_TEST((*got == want),
             cond << " = " << tribool_name(*got) << ", expected " << tribool_name(want));
}

void expect_error(std::string_view cond, std::string_view sqlstate, const Session& s = Session{},
                  const MapResolver& r = MapResolver{}) {
  auto got = eval(cond, s, r);
  BOOST_TEST_REQUIRE(!got.ok(), cond << " evaluated to " << (got.ok() ? tribool_name(*got) : ""));
  BOOST_TEST(got.error().code.code() == sqlstate, cond << ": " << got.error().message);
}

BOOST_AUTO_TEST_SUITE(literals_and_logic)

BOOST_AUTO_TEST_CASE(literals) {
  expect("TRUE", T);
  expect("FALSE", F);
  expect("NULL", U);
}

BOOST_AUTO_TEST_CASE(not_is_kleene) {
  expect("NOT TRUE", F);
  expect("NOT FALSE", T);
  expect("NOT NULL", U);
  expect("NOT NOT tls", T);
}

BOOST_AUTO_TEST_CASE(and_truth_table) {
  expect("TRUE AND TRUE", T);
  expect("TRUE AND FALSE", F);
  expect("FALSE AND NULL", F);
  expect("NULL AND FALSE", F);
  expect("NULL AND TRUE", U);
  expect("NULL AND NULL", U);
  expect("tls AND program_name = NULL", U);
  expect("program_name = NULL AND NOT tls", F);
}

BOOST_AUTO_TEST_CASE(or_truth_table) {
  expect("FALSE OR FALSE", F);
  expect("FALSE OR TRUE", T);
  expect("NULL OR TRUE", T);
  expect("TRUE OR NULL", T);
  expect("NULL OR FALSE", U);
  expect("NULL OR NULL", U);
  expect("NOT tls OR program_name = NULL", U);
}

BOOST_AUTO_TEST_CASE(precedence_and_binds_tighter_than_or) {
  expect("TRUE OR FALSE AND FALSE", T);  // TRUE OR (FALSE AND FALSE)
  expect("(TRUE OR FALSE) AND FALSE", F);
  expect("NOT FALSE AND FALSE", F);  // (NOT FALSE) AND FALSE
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(predicates)

BOOST_AUTO_TEST_CASE(comparisons_of_each_type) {
  expect("1 = 1", T);
  expect("1 <> 1", F);
  expect("1 < 2", T);
  expect("2 <= 1", F);
  expect("-3 > -4", T);
  expect("3 >= 3", T);
  expect("'abc' < 'abd'", T);
  expect("'B' < 'a'", T);  // byte order (C collation)
  expect("current_user = 'alice'", T);
  expect("current_user <> 'alice'", F);
  expect("tls = TRUE", T);
  expect("FALSE < TRUE", T);
  expect("CURRENT_TIMESTAMP = CURRENT_TIMESTAMP", T);
  expect("CURRENT_TIMESTAMP > CURRENT_TIMESTAMP", F);
}

BOOST_AUTO_TEST_CASE(comparison_with_null_is_unknown) {
  expect("program_name = NULL", U);
  expect("NULL <> 'x'", U);
  expect("NULL = NULL", U);
  expect("CURRENT_TIMESTAMP < NULL", U);
}

BOOST_AUTO_TEST_CASE(between) {
  expect("5 BETWEEN 1 AND 10", T);
  expect("1 BETWEEN 1 AND 10", T);
  expect("10 BETWEEN 1 AND 10", T);
  expect("11 BETWEEN 1 AND 10", F);
  expect("5 BETWEEN 10 AND 1", F);  // not SYMMETRIC
  expect("11 NOT BETWEEN 1 AND 10", T);
  expect("5 NOT BETWEEN 1 AND 10", F);
  expect("'m' BETWEEN 'a' AND 'z'", T);
  expect("NULL BETWEEN 1 AND 10", U);
  expect("5 BETWEEN NULL AND 10", U);
  expect("11 BETWEEN NULL AND 10", F);  // x >= NULL AND x <= 10: UNKNOWN AND FALSE
  expect("11 NOT BETWEEN NULL AND 10", T);
}

BOOST_AUTO_TEST_CASE(in_list) {
  expect("program_name IN ('psql', 'pgbench')", T);
  expect("program_name IN ('x', 'y')", F);
  expect("program_name NOT IN ('x', 'y')", T);
  expect("program_name NOT IN ('psql')", F);
  expect("program_name IN ('x', NULL)", U);
  expect("program_name IN (NULL, 'psql')", T);
  expect("program_name NOT IN ('x', NULL)", U);
  expect("NULL IN ('a')", U);
  expect("3 IN (1, 2, 3)", T);
  expect("current_user IN (session_user)", T);
}

BOOST_AUTO_TEST_CASE(like) {
  expect("program_name LIKE 'psql'", T);
  expect("program_name LIKE 'PSQL'", F);  // case-sensitive
  expect("program_name LIKE 'ps%'", T);
  expect("program_name LIKE '%ql'", T);
  expect("program_name LIKE '%s%'", T);
  expect("program_name LIKE '%'", T);
  expect("program_name LIKE 'p_ql'", T);
  expect("program_name LIKE 'p_l'", F);
  expect("program_name LIKE 'p%q%l'", T);
  expect("program_name LIKE 'p%x%l'", F);
  expect("program_name NOT LIKE 'export%'", T);
  expect("program_name NOT LIKE 'ps%'", F);
  expect("'50%' LIKE '50\\%'", T);
  expect("'500' LIKE '50\\%'", F);
  expect("'a_c' LIKE 'a\\_c'", T);
  expect("'abc' LIKE 'a\\_c'", F);
  expect("'été' LIKE '_t_'", T);  // '_' is one character, not one byte
  expect("'' LIKE ''", T);
  expect("'' LIKE '_'", F);
  expect("'aaa' LIKE '%a%a%a%'", T);
  expect("'aa' LIKE '%a%a%a%'", F);
  expect("NULL LIKE 'a%'", U);
  expect("program_name LIKE NULL", U);
  expect("program_name NOT LIKE NULL", U);
}

BOOST_AUTO_TEST_CASE(like_with_a_pattern_computed_at_run_time) {
  Session s;
  s.program_name = "alice_tool";
  expect("program_name LIKE current_user", F, s);
  s.current_user = "alice%";
  expect("program_name LIKE current_user", T, s);
  s.current_user = "alice\\";  // ends with the escape character: cannot be evaluated
  expect_error("program_name LIKE current_user", "22025", s);
}

BOOST_AUTO_TEST_CASE(literal_like_pattern_ending_in_escape_is_rejected_at_compile) {
  PredicateCompiler c{MapResolver{}};
  auto p = c.compile(parse_condition("program_name LIKE 'abc\\'"));
  BOOST_TEST_REQUIRE(!p.ok());
  BOOST_TEST(p.error().code.code() == "22025");
}

BOOST_AUTO_TEST_CASE(is_null) {
  expect("NULL IS NULL", T);
  expect("NULL IS NOT NULL", F);
  expect("program_name IS NULL", F);  // factors are never NULL
  expect("program_name IS NOT NULL", T);
  expect("(program_name = NULL) IS NULL", T);
  expect("HOUR(NULL) IS NULL", T);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(factors)

BOOST_AUTO_TEST_CASE(each_factor) {
  Session s;
  s.current_user = "bob";
  s.session_user = "alice";
  s.program_name = "export_tool";
  s.client_ip = "192.168.0.7";
  s.auth_method = "trust";
  s.tls = false;
  expect("CURRENT_USER = 'bob'", T, s);
  expect("SESSION_USER = 'alice'", T, s);
  expect("CURRENT_USER = SESSION_USER", F, s);
  expect("program_name = 'export_tool'", T, s);
  expect("client_ip = '192.168.0.7'", T, s);
  expect("auth_method = 'trust'", T, s);
  expect("tls", F, s);
  expect("NOT tls", T, s);
  s.now = Session::at(2025, 10, 13, 8, 59);
  expect("HOUR(CURRENT_TIMESTAMP) = 8", T, s);
}

BOOST_AUTO_TEST_CASE(absent_attributes_are_empty_not_null) {
  Session s;
  s.program_name.clear();
  s.client_ip.clear();
  expect("program_name = ''", T, s);
  expect("program_name IS NULL", F, s);
  expect("IN_CIDR(client_ip, '0.0.0.0/0')", F, s);  // no address: in no block
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(functions)

BOOST_AUTO_TEST_CASE(hour_is_utc) {
  Session s;
  s.now = Session::at(2025, 10, 13, 0, 0);
  expect("HOUR(CURRENT_TIMESTAMP) = 0", T, s);
  s.now = Session::at(2025, 10, 13, 23, 59, 59);
  expect("HOUR(CURRENT_TIMESTAMP) = 23", T, s);
  s.now = Session::at(1969, 12, 31, 22, 30);  // before the epoch: floor, not truncation
  expect("HOUR(CURRENT_TIMESTAMP) = 22", T, s);
  expect("HOUR(NULL) = 1", U, s);
}

BOOST_AUTO_TEST_CASE(day_of_week_is_iso_monday_1_to_sunday_7) {
  Session s;
  const int want[7] = {1, 2, 3, 4, 5, 6, 7};
  for (unsigned d = 0; d < 7; ++d) {  // 2025-10-13 is a Monday
    s.now = Session::at(2025, 10, 13 + d, 23, 30);
    expect("DAY_OF_WEEK(CURRENT_TIMESTAMP) = " + std::to_string(want[d]), T, s);
  }
  s.now = Session::at(1970, 1, 1, 0, 0);
  expect("DAY_OF_WEEK(CURRENT_TIMESTAMP) = 4", T, s);  // Thursday
  s.now = Session::at(1969, 12, 28, 12, 0);
  expect("DAY_OF_WEEK(CURRENT_TIMESTAMP) = 7", T, s);  // Sunday
  expect("DAY_OF_WEEK(NULL) IN (6, 7)", U, s);
}

BOOST_AUTO_TEST_CASE(has_role) {
  MapResolver r;
  r.roles = {{"dba", 3}, {"auditor", 70}};
  Session s;
  s.roles.set(70);
  expect("HAS_ROLE('auditor')", T, s, r);
  expect("HAS_ROLE('dba')", F, s, r);
  expect("HAS_ROLE('DBA')", F, s, r);  // folded to dba
  s.roles.set(3);
  expect("HAS_ROLE('DBA')", T, s, r);
  expect("HAS_ROLE(NULL)", U, s, r);
  expect_error("HAS_ROLE('nobody')", "42704", s, r);
  expect_error("HAS_ROLE(current_user)", "0A000", s, r);
}

BOOST_AUTO_TEST_CASE(realm_unlocked) {
  MapResolver r;
  r.realms = {{"pii", 0}, {"finance", 999}};
  Session s;
  s.unlocked.set(999);
  expect("REALM_UNLOCKED('finance')", T, s, r);
  expect("REALM_UNLOCKED('pii')", F, s, r);
  expect("NOT REALM_UNLOCKED('pii')", T, s, r);
  expect("REALM_UNLOCKED(NULL)", U, s, r);
  expect_error("REALM_UNLOCKED('hr')", "42704", s, r);
}

BOOST_AUTO_TEST_CASE(in_cidr_ipv4) {
  Session s;
  s.client_ip = "10.1.2.3";
  expect("IN_CIDR(client_ip, '10.0.0.0/8')", T, s);
  expect("IN_CIDR(client_ip, '10.1.2.0/24')", T, s);
  expect("IN_CIDR(client_ip, '10.1.2.3')", T, s);
  expect("IN_CIDR(client_ip, '10.1.2.4')", F, s);
  expect("IN_CIDR(client_ip, '11.0.0.0/8')", F, s);
  expect("IN_CIDR(client_ip, '10.1.2.0/31')", F, s);
  expect("IN_CIDR(client_ip, '10.1.2.2/31')", T, s);
  expect("IN_CIDR(client_ip, '0.0.0.0/0')", T, s);
  expect("IN_CIDR(client_ip, 'fd00::/8')", F, s);  // other family
  expect("IN_CIDR(client_ip, NULL)", U, s);
  expect("IN_CIDR(NULL, '10.0.0.0/8')", U, s);
  s.client_ip = "::ffff:10.1.2.3";  // IPv4-mapped counts as IPv4
  expect("IN_CIDR(client_ip, '10.0.0.0/8')", T, s);
}

BOOST_AUTO_TEST_CASE(in_cidr_ipv6) {
  Session s;
  s.client_ip = "fd00:1234:5678::1";
  expect("IN_CIDR(client_ip, 'fd00::/8')", T, s);
  expect("IN_CIDR(client_ip, 'fd00:1234::/32')", T, s);
  expect("IN_CIDR(client_ip, 'fd00:1235::/32')", F, s);
  expect("IN_CIDR(client_ip, 'fd00:1234:5678::1/128')", T, s);
  expect("IN_CIDR(client_ip, '10.0.0.0/8')", F, s);
  expect("IN_CIDR(client_ip, '::/0')", T, s);
}

BOOST_AUTO_TEST_CASE(in_cidr_with_values_computed_at_run_time) {
  Session s;
  s.program_name = "10.0.0.0/8";
  expect("IN_CIDR(client_ip, program_name)", T, s);
  expect("IN_CIDR('10.9.9.9', '10.0.0.0/8')", T, s);  // folded at compile time
  s.program_name = "not a block";
  expect_error("IN_CIDR(client_ip, program_name)", "22023", s);
}

BOOST_AUTO_TEST_CASE(in_cidr_with_a_malformed_client_ip_cannot_be_evaluated) {
  Session s;
  s.client_ip = "garbage";
  expect_error("IN_CIDR(client_ip, '10.0.0.0/8')", "22023", s);
  expect_error("NOT IN_CIDR(client_ip, '10.0.0.0/8')", "22023", s);
  s.client_ip = "10.0.0.0/8";  // a block is not an address
  expect_error("IN_CIDR(client_ip, '10.0.0.0/8')", "22023", s);
}

BOOST_AUTO_TEST_CASE(literal_cidr_is_checked_when_parsed) {
  auto st = grammar::parse(
      "CREATE COMMAND RULE t FOR SELECT ON ANY DENY WHEN "
      "IN_CIDR(client_ip, '10.0.0.0/33')");
  BOOST_TEST_REQUIRE(!st.ok());
  BOOST_TEST(st.error().code.code() == "22023");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(compilation)

BOOST_AUTO_TEST_CASE(constant_sub_expressions_are_folded) {
  MapResolver r;
  r.roles = {{"dba", 0}};
  PredicateCompiler c{r};
  for (std::string_view cond : {"1 = 1", "3 BETWEEN 1 AND 5", "'ab' LIKE 'a%'", "NULL IS NULL",
                                "FALSE AND HAS_ROLE('dba')", "TRUE OR tls", "NOT (2 IN (1, 3))"}) {
    auto p = c.compile(parse_condition(cond));
    BOOST_TEST_REQUIRE(p.ok());
    BOOST_TEST(p->is_constant(), cond);
  }
  for (std::string_view cond :
       {"tls", "HAS_ROLE('dba') AND FALSE", "HOUR(CURRENT_TIMESTAMP) = 1"}) {
    auto p = c.compile(parse_condition(cond));
    BOOST_TEST_REQUIRE(p.ok());
    BOOST_TEST(!p->is_constant(), cond);
  }
}

BOOST_AUTO_TEST_CASE(source_is_canonical_sql) {
  PredicateCompiler c{MapResolver{}};
  auto p = c.compile(parse_condition("hour(current_timestamp) not between 9 and 17"));
  BOOST_TEST_REQUIRE(p.ok());
  BOOST_TEST(p->source() == "HOUR(CURRENT_TIMESTAMP) NOT BETWEEN 9 AND 17");
}

BOOST_AUTO_TEST_CASE(unknown_names_report_their_position) {
  MapResolver r;
  PredicateCompiler c{r};
  auto p = c.compile(parse_condition("tls AND HAS_ROLE('ghost')"));
  BOOST_TEST_REQUIRE(!p.ok());
  BOOST_TEST(p.error().code.code() == "42704");
  BOOST_TEST(p.error().message == "role \"ghost\" does not exist");
  BOOST_TEST(p.error().position > 0);
}

BOOST_AUTO_TEST_CASE(failing_predicate_always_errors) {
  auto p = CompiledPredicate::failing(make_error(sqlstate::kUndefinedObject, "role gone"), "x");
  auto v = p.eval(Session{}.factors());
  BOOST_TEST_REQUIRE(!v.ok());
  BOOST_TEST(v.error().message == "role gone");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::rules::test
