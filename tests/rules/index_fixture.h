// The fixture of the RuleIndex suites: a resolver with the design document's objects (users
// and two of its columns in realm pii, financial_records in realm finance, orders in none),
// roles and users, a session, and helpers that compile rules and build accesses.
#pragma once

#include <boost/test/unit_test.hpp>

#include "tests/rules/test_util.h"

namespace dbvault::rules::test {

inline constexpr ObjectId kUsers = 1, kSsn = 2, kEmail = 3, kFinancial = 4, kOrders = 5;
inline constexpr RealmId kPii = 0, kFinance = 70;
inline constexpr RoleId kDba = 0, kSysadmin = 1, kAnalyst = 2;
inline constexpr UserId kAlice = 10, kBob = 11;

struct IndexFixture {
  MapResolver resolver;
  Session session;
  IdBitset pii_realm;      // realms of the users table and its columns
  IdBitset finance_realm;  // realms of financial_records

  IndexFixture() {
    resolver.objects = {{"users", kUsers},
                        {"users.ssn", kSsn},
                        {"users.email", kEmail},
                        {"financial_records", kFinancial},
                        {"orders", kOrders}};
    resolver.realms = {{"pii", kPii}, {"finance", kFinance}};
    resolver.roles = {{"dba", kDba}, {"sysadmin", kSysadmin}, {"analyst", kAnalyst}};
    resolver.users = {{"alice", kAlice}, {"bob", kBob}};
    session.user_id = kAlice;
    pii_realm.set(kPii);
    finance_realm.set(kFinance);
  }

  // Compiles each statement, with ids 1, 2, ... in order, into one index.
  RuleIndex index(std::initializer_list<std::string_view> sqls) {
    PredicateCompiler compiler(resolver);
    std::vector<CommandRule> rules;
    RuleId id = 1;
    for (std::string_view sql : sqls) {
      auto r = compile_command_rule(parse_rule(sql), id++, compiler);
      BOOST_TEST_REQUIRE(r.ok(), sql << ": " << (r.ok() ? "" : r.error().message));
      rules.push_back(std::move(*r));
    }
    return RuleIndex(std::move(rules));
  }

  ObjectAccess on(ast::Command command, ObjectId object) const {
    ObjectAccess a{command, object, kNoId, {}};
    if (object == kSsn || object == kEmail) a.table = kUsers;
    if (object == kUsers || object == kSsn || object == kEmail) a.realms = pii_realm.view();
    if (object == kFinancial) a.realms = finance_realm.view();
    return a;
  }

  RuleDecision decide(const RuleIndex& idx, std::initializer_list<ObjectAccess> accesses) const {
    const std::vector<ObjectAccess> v(accesses);
    return idx.evaluate(v, session.factors());
  }

  // The name of the rule that denied, or "" when allowed.
  std::string denied_by(const RuleIndex& idx, std::initializer_list<ObjectAccess> accesses) const {
    auto d = decide(idx, accesses);
    return d.allowed() ? "" : d.denial->rule->name;
  }
};

}  // namespace dbvault::rules::test
