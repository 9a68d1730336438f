// Helpers for the rules suites: a name resolver over plain maps, a session whose Factors view
// its own storage, and conditions obtained by really parsing SQL.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "grammar/grammar.h"
#include "rules/rules.h"

namespace dbvault::rules::test {

// A NameResolver over maps filled by the test.
class MapResolver final : public NameResolver {
 public:
  std::map<std::string, RoleId, std::less<>> roles;
  std::map<std::string, UserId, std::less<>> users;
  std::map<std::string, RealmId, std::less<>> realms;
  std::map<std::string, ObjectId, std::less<>> objects;  // "table" or "table.column"
  std::map<std::string, ast::CreateRuleSet, std::less<>> rule_sets;

  std::optional<RoleId> find_role(std::string_view n) const override { return find(roles, n); }
  std::optional<UserId> find_user(std::string_view n) const override { return find(users, n); }
  std::optional<RealmId> find_realm(std::string_view n) const override { return find(realms, n); }
  std::optional<ObjectId> find_object(const ast::ObjectRef& ref) const override {
    std::string key = ref.table.name;
    if (!ref.column.empty()) key += "." + ref.column;
    return find(objects, key);
  }
  const ast::CreateRuleSet* find_rule_set(std::string_view n) const override {
    auto it = rule_sets.find(n);
    return it == rule_sets.end() ? nullptr : &it->second;
  }

  // Parses CREATE RULE SET ... and stores it under its name.
  void add_rule_set(std::string_view sql);

 private:
  template <typename M>
  static std::optional<std::uint32_t> find(const M& m, std::string_view n) {
    auto it = m.find(n);
    if (it == m.end()) return std::nullopt;
    return it->second;
  }
};

// A session's attributes, owning what Factors points at.
struct Session {
  std::string current_user = "alice";
  std::string session_user = "alice";
  std::string program_name = "psql";
  std::string client_ip = "10.1.2.3";
  std::string auth_method = "scram-sha-256";
  bool tls = true;
  TimePoint now = at(2025, 10, 13, 12, 0);  // a Monday, noon UTC
  UserId user_id = kNoId;
  IdBitset roles;
  IdBitset unlocked;

  Factors factors() const;

  // UTC wall-clock time as a TimePoint.
  static TimePoint at(int y, unsigned m, unsigned d, int hh, int mm, int ss = 0);
};

// The condition of "CREATE COMMAND RULE t FOR SELECT ON ANY DENY WHEN <cond>", parsed.
ast::Expr parse_condition(std::string_view cond);

// Parses one CREATE COMMAND RULE statement. Fails the test on a parse error.
ast::CreateCommandRule parse_rule(std::string_view sql);

// Compiles `cond` against `resolver` and evaluates it for `session`.
Result<TriBool> eval(std::string_view cond, const Session& session,
                     const MapResolver& resolver = MapResolver{});

}  // namespace dbvault::rules::test
