// VerdictMemo: verdicts remembered between statements must never differ from evaluating every
// rule afresh — across hour and day boundaries, clocks that go back, new generations, and
// SIMULATION rules, which must be reported on every statement.
#include <boost/test/unit_test.hpp>
#include <random>

#include "rules/program.h"
#include "rules/time_dependence.h"
#include "tests/rules/index_fixture.h"

namespace dbvault::rules::test {
namespace {

using C = ast::Command;
using detail::TimeDependence;

struct MemoFixture : IndexFixture {
  VerdictMemo memo;
  std::uint64_t generation = 1;

  // The memoised decision; checks it against the plain one before returning it.
  RuleDecision memo_decide(const RuleIndex& idx, std::initializer_list<ObjectAccess> accesses) {
    const std::vector<ObjectAccess> v(accesses);
    RuleDecision fresh = idx.evaluate(v, session.factors());
    RuleDecision memoised = idx.evaluate(v, session.factors(), memo, generation);
    BOOST_TEST(fresh.allowed() == memoised.allowed());
    BOOST_TEST(fresh.simulated.size() == memoised.simulated.size());
    return memoised;
  }
  std::string memo_denied_by(const RuleIndex& idx, std::initializer_list<ObjectAccess> accesses) {
    auto d = memo_decide(idx, accesses);
    return d.allowed() ? "" : d.denial->rule->name;
  }
  TimeDependence dependence_of(std::string_view sql) {
    const RuleIndex idx = index({sql});
    const CommandRule* r = idx.find(1);
    BOOST_TEST_REQUIRE(r != nullptr);
    BOOST_TEST_REQUIRE(r->condition.has_value());
    return detail::time_dependence(*r->condition->program());
  }
};

constexpr std::string_view kBusinessHours =
    "CREATE COMMAND RULE bh FOR SELECT ON TABLE financial_records "
    "DENY WHEN HOUR(CURRENT_TIMESTAMP) NOT BETWEEN 9 AND 17";

BOOST_FIXTURE_TEST_SUITE(verdict_memo, MemoFixture)

BOOST_AUTO_TEST_CASE(time_dependence_of_conditions) {
  const auto dep = [&](std::string_view cond) {
    return dependence_of("CREATE COMMAND RULE r FOR SELECT ON ANY DENY WHEN " + std::string(cond));
  };
  BOOST_TEST((dep("program_name = 'x'") == TimeDependence::kNone));
  BOOST_TEST(
      (dep("HAS_ROLE('dba') AND IN_CIDR(client_ip, '10.0.0.0/8')") == TimeDependence::kNone));
  BOOST_TEST((dep("HOUR(CURRENT_TIMESTAMP) NOT BETWEEN 9 AND 17") == TimeDependence::kHour));
  BOOST_TEST((dep("DAY_OF_WEEK(CURRENT_TIMESTAMP) IN (6, 7) OR HOUR(CURRENT_TIMESTAMP) > 20") ==
              TimeDependence::kDay));
  BOOST_TEST((dep("CURRENT_TIMESTAMP > CURRENT_TIMESTAMP") == TimeDependence::kExact));
  BOOST_TEST((dep("program_name = 'x' OR CURRENT_TIMESTAMP IS NULL") == TimeDependence::kExact));
  resolver.add_rule_set("CREATE RULE SET weekend ANY (DAY_OF_WEEK(CURRENT_TIMESTAMP) IN (6, 7))");
  BOOST_TEST((dep("RULE_SET('weekend')") == TimeDependence::kDay));
}

BOOST_AUTO_TEST_CASE(valid_until_the_next_utc_hour_or_day) {
  const std::int64_t noon_ish = Session::at(2025, 10, 13, 12, 34, 56).time_since_epoch().count();
  BOOST_TEST(detail::verdict_valid_until(TimeDependence::kHour, noon_ish) ==
             Session::at(2025, 10, 13, 13, 0).time_since_epoch().count());
  BOOST_TEST(detail::verdict_valid_until(TimeDependence::kDay, noon_ish) ==
             Session::at(2025, 10, 14, 0, 0).time_since_epoch().count());
  BOOST_TEST(detail::verdict_valid_until(TimeDependence::kExact, noon_ish) == noon_ish);
  BOOST_TEST(detail::verdict_valid_until(TimeDependence::kNone, noon_ish) ==
             std::numeric_limits<std::int64_t>::max());
}

BOOST_AUTO_TEST_CASE(hour_rule_denies_again_at_the_boundary) {
  const RuleIndex idx = index({kBusinessHours});
  session.now = Session::at(2025, 10, 13, 17, 59, 59);
  BOOST_TEST(memo_denied_by(idx, {on(C::kSelect, kFinancial)}) == "");
  BOOST_TEST(memo.allowed(0));  // remembered...
  BOOST_TEST(memo_denied_by(idx, {on(C::kSelect, kFinancial)}) == "");
  session.now = Session::at(2025, 10, 13, 18, 0);  // ...until 18:00, same generation
  BOOST_TEST(memo_denied_by(idx, {on(C::kSelect, kFinancial)}) == "bh");
  BOOST_TEST(!memo.allowed(0));
  session.now = Session::at(2025, 10, 13, 12, 0);  // the clock went back: forget
  BOOST_TEST(memo_denied_by(idx, {on(C::kSelect, kFinancial)}) == "");
  session.now = Session::at(2025, 10, 13, 7, 0);
  BOOST_TEST(memo_denied_by(idx, {on(C::kSelect, kFinancial)}) == "bh");
}

BOOST_AUTO_TEST_CASE(exact_time_rules_are_never_remembered) {
  const RuleIndex idx =
      index({"CREATE COMMAND RULE odd FOR SELECT ON ANY "
             "DENY WHEN CURRENT_TIMESTAMP IS NULL OR HOUR(CURRENT_TIMESTAMP) = 13"});
  session.now = Session::at(2025, 10, 13, 12, 59, 59);
  for (int i = 0; i < 2; ++i) {
    BOOST_TEST(memo_denied_by(idx, {on(C::kSelect, kOrders)}) == "");
    BOOST_TEST(!memo.allowed(0));
    BOOST_TEST(!memo.cleared(static_cast<unsigned>(C::kSelect), kOrders));
  }
  session.now = Session::at(2025, 10, 13, 13, 0);
  BOOST_TEST(memo_denied_by(idx, {on(C::kSelect, kOrders)}) == "odd");
}

BOOST_AUTO_TEST_CASE(a_new_generation_forgets) {
  const RuleIndex idx =
      index({"CREATE COMMAND RULE no_export FOR SELECT ON COLUMN users.ssn "
             "DENY WHEN program_name = 'export_tool'"});
  BOOST_TEST(memo_denied_by(idx, {on(C::kSelect, kSsn)}) == "");
  BOOST_TEST(!memo.cleared(static_cast<unsigned>(C::kSelect), kSsn));  // its rule was new
  BOOST_TEST(memo_denied_by(idx, {on(C::kSelect, kSsn)}) == "");
  BOOST_TEST(memo.cleared(static_cast<unsigned>(C::kSelect), kSsn));  // now remembered
  // The caller's contract: a changed factor is a new generation. Without it the memo would
  // (by design) keep the old verdict; with it, the rule is checked again.
  session.program_name = "export_tool";
  ++generation;
  BOOST_TEST(memo_denied_by(idx, {on(C::kSelect, kSsn)}) == "no_export");
  BOOST_TEST(!memo.cleared(static_cast<unsigned>(C::kSelect), kSsn));
}

BOOST_AUTO_TEST_CASE(another_index_forgets) {
  const RuleIndex allow = index({"CREATE COMMAND RULE r FOR SELECT ON ANY DENY WHEN FALSE"});
  const RuleIndex deny = index({"CREATE COMMAND RULE r FOR SELECT ON ANY DENY WHEN TRUE"});
  BOOST_TEST(memo_denied_by(allow, {on(C::kSelect, kOrders)}) == "");
  BOOST_TEST(memo_denied_by(deny, {on(C::kSelect, kOrders)}) == "r");  // same generation
}

BOOST_AUTO_TEST_CASE(simulation_is_reported_on_every_statement) {
  const RuleIndex idx =
      index({"CREATE COMMAND RULE sim FOR SELECT ON REALM pii "
             "DENY WHEN program_name = 'psql' SIMULATION"});
  for (int i = 0; i < 3; ++i) {
    auto d = memo_decide(idx, {on(C::kSelect, kUsers), on(C::kSelect, kSsn)});
    BOOST_TEST(d.allowed());
    BOOST_TEST(d.simulated.size() == 1U);
  }
  BOOST_TEST(!memo.cleared(static_cast<unsigned>(C::kSelect), kUsers));
}

BOOST_AUTO_TEST_CASE(cleared_access_still_sees_a_denying_rule_of_another_access) {
  const RuleIndex idx =
      index({"CREATE COMMAND RULE pii_ok FOR SELECT ON REALM pii DENY WHEN FALSE",
             "CREATE COMMAND RULE no_ssn FOR SELECT ON COLUMN users.ssn DENY WHEN TRUE"});
  for (int i = 0; i < 2; ++i) {
    BOOST_TEST(memo_denied_by(idx, {on(C::kSelect, kUsers), on(C::kSelect, kEmail)}) == "");
  }
  BOOST_TEST(memo.cleared(static_cast<unsigned>(C::kSelect), kEmail));
  BOOST_TEST(memo.cleared(static_cast<unsigned>(C::kSelect), kUsers));
  BOOST_TEST(memo_denied_by(idx, {on(C::kSelect, kUsers), on(C::kSelect, kSsn)}) == "no_ssn");
  BOOST_TEST(memo_denied_by(idx, {on(C::kSelect, kSsn)}) == "no_ssn");
  BOOST_TEST(!memo.cleared(static_cast<unsigned>(C::kSelect), kSsn));
}

BOOST_AUTO_TEST_CASE(realm_rules_skipped_for_a_column_do_not_clear_it) {
  // users and users.ssn share their realm set, so the realm rule is looked up once, for users;
  // it denies, and ssn alone must still be denied afterwards.
  const RuleIndex idx =
      index({"CREATE COMMAND RULE pii_closed FOR SELECT ON REALM pii "
             "DENY WHEN program_name = 'psql'"});
  BOOST_TEST(memo_denied_by(idx, {on(C::kSelect, kUsers), on(C::kSelect, kSsn)}) == "pii_closed");
  BOOST_TEST(!memo.cleared(static_cast<unsigned>(C::kSelect), kSsn));
  BOOST_TEST(memo_denied_by(idx, {on(C::kSelect, kSsn)}) == "pii_closed");
}

// Random statements, factors and clock moves: the memoised decision always equals the fresh
// one (memo_decide checks every call), whatever was remembered before.
BOOST_AUTO_TEST_CASE(memoised_equals_fresh_under_random_changes) {
  const RuleIndex idx =
      index({kBusinessHours,
             "CREATE COMMAND RULE weekend FOR UPDATE ON REALM pii "
             "DENY WHEN DAY_OF_WEEK(CURRENT_TIMESTAMP) IN (6, 7)",
             "CREATE COMMAND RULE tool FOR SELECT, UPDATE ON COLUMN users.ssn "
             "DENY WHEN program_name LIKE 'export%'",
             "CREATE COMMAND RULE dbas FOR ALL ON TABLE users DENY FROM ROLE dba",
             "CREATE COMMAND RULE unlocked FOR SELECT ON REALM finance "
             "ALLOW ONLY WHEN REALM_UNLOCKED('finance')",
             "CREATE COMMAND RULE sim FOR DELETE ON ANY DENY WHEN HAS_ROLE('analyst') SIMULATION",
             "CREATE COMMAND RULE late FOR SELECT ON TABLE orders "
             "DENY WHEN CURRENT_TIMESTAMP IS NULL OR HOUR(CURRENT_TIMESTAMP) >= 22"});
  std::mt19937 rng(7);
  const C commands[] = {C::kSelect, C::kUpdate, C::kDelete};
  const ObjectId objects[] = {kUsers, kSsn, kEmail, kFinancial, kOrders};
  session.now = Session::at(2025, 10, 13, 8, 0);
  int denials = 0;
  for (int step = 0; step < 3000; ++step) {
    switch (rng() % 8) {
      case 0:  // time moves forward up to ~5 hours
        session.now += std::chrono::minutes(rng() % 300);
        break;
      case 1:  // a factor changes: a new generation
        session.program_name = rng() % 2 ? "export_x" : "psql";
        ++generation;
        break;
      case 2:
        if (rng() % 2) {
          session.roles.set(kDba);
        } else {
          session.roles = IdBitset();
        }
        ++generation;
        break;
      case 3:
        if (rng() % 2) {
          session.unlocked.set(kFinance);
        } else {
          session.unlocked = IdBitset();
        }
        ++generation;
        break;
      default:
        break;
    }
    const ObjectAccess a = on(commands[rng() % 3], objects[rng() % 5]);
    const ObjectAccess b = on(commands[rng() % 3], objects[rng() % 5]);
    denials += memo_decide(idx, {a, b}).allowed() ? 0 : 1;
  }
  BOOST_TEST(denials > 100);  // the walk really exercised denials
  BOOST_TEST(denials < 2900);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::rules::test
