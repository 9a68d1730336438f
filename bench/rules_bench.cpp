// rules_bench: what the command-rule step of a decision costs.
//
// Policy: 1,000 realms; 20,000 tables with 4 columns each (100,000 objects), every table in one
// realm; 10,000 enabled rules: 4,000 ON REALM, 5,984 ON TABLE/COLUMN, 8 ON ANY, 8 FOR CONNECT,
// over a mix of commands and conditions (program_name =, LIKE, HOUR BETWEEN, DENY FROM ROLE,
// IN_CIDR, HAS_ROLE, RULE_SET). The session passes every rule, so every applicable rule is
// evaluated (no early exit on a denial).
// Statement: 8 accesses (2 tables x (the table + 3 of its columns)), drawn from 4,096
// pre-generated statements so that the caches see a realistic spread.
//
// Printed first: p50/p90/p99/p99.9 per decision from a manual timing loop (each decision timed
// alone with steady_clock), for
//   baseline: clock   two back-to-back clock reads (the timer's own cost)
//   baseline: empty   RuleIndex with no rules, same statements (lookups, no rule)
//   rules             the 10,000-rule index
// Then Google Benchmark's mean time per decision for the same three cases.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "grammar/grammar.h"
#include "rules/rules.h"

using namespace dbvault;
using namespace dbvault::rules;

namespace {

constexpr int kRealms = 1000;
constexpr int kTables = 20000;
constexpr int kColumnsPerTable = 4;
constexpr int kObjects = kTables * (1 + kColumnsPerTable);  // 100,000
constexpr int kRules = 10000;
constexpr int kStatements = 4096;
constexpr int kAccessesPerStatement = 8;

ObjectId table_id(int t) { return static_cast<ObjectId>(t * (1 + kColumnsPerTable)); }
RealmId realm_of_table(int t) { return static_cast<RealmId>(t % kRealms); }

// Names are "t<i>", "t<i>.c<k>", "r<i>", "role<i>".
class BenchResolver final : public NameResolver {
 public:
  BenchResolver() {
    auto set = grammar::parse("CREATE RULE SET corp ANY (IN_CIDR(client_ip, '10.0.0.0/8'), tls)");
    corp_ = std::get<ast::CreateRuleSet>(set->node);
  }
  std::optional<RoleId> find_role(std::string_view n) const override { return number(n, "role"); }
  std::optional<UserId> find_user(std::string_view) const override { return 0; }
  std::optional<RealmId> find_realm(std::string_view n) const override { return number(n, "r"); }
  std::optional<ObjectId> find_object(const ast::ObjectRef& ref) const override {
    auto t = number(ref.table.name, "t");
    if (!t) return std::nullopt;
    if (ref.column.empty()) return table_id(static_cast<int>(*t));
    auto c = number(ref.column, "c");
    return table_id(static_cast<int>(*t)) + 1 + *c;
  }
  const ast::CreateRuleSet* find_rule_set(std::string_view) const override { return &corp_; }

 private:
  static std::optional<std::uint32_t> number(std::string_view s, std::string_view prefix) {
    if (!s.starts_with(prefix)) return std::nullopt;
    return static_cast<std::uint32_t>(std::stoul(std::string(s.substr(prefix.size()))));
  }
  ast::CreateRuleSet corp_;
};

// Conditions every rule draws from, made distinct per rule ({i} = the rule number, {d} = a
// digit) so that no two rules share a compiled program; all pass for the bench session.
const char* const kActions[] = {
    "DENY WHEN program_name = 'export_tool_{i}'",
    "DENY WHEN program_name LIKE 'dump{i}%' AND NOT HAS_ROLE('role1')",
    "DENY WHEN HOUR(CURRENT_TIMESTAMP) NOT BETWEEN {d} AND 17",
    "DENY FROM ROLE role{d}7, role{d}9",
    "ALLOW ONLY WHEN IN_CIDR(client_ip, '10.{d}.0.0/8')",
    "ALLOW ONLY WHEN RULE_SET('corp') AND DAY_OF_WEEK(CURRENT_TIMESTAMP) <= 5{d}",
    "DENY WHEN auth_method IN ('trust', 'password{i}') SIMULATION",
};

std::string instantiate(std::string text, int i) {
  for (auto [key, value] : {std::pair<std::string, std::string>{"{i}", std::to_string(i)},
                            {"{d}", std::to_string(i % 10)}}) {
    for (std::size_t at; (at = text.find(key)) != std::string::npos;) text.replace(at, 3, value);
  }
  return text;
}
const char* const kCommands[] = {"SELECT", "SELECT, UPDATE", "INSERT, UPDATE, DELETE",
                                 "ALL",    "DELETE",         "SELECT"};

RuleIndex build_index(std::mt19937& rng) {
  BenchResolver resolver;
  PredicateCompiler compiler(resolver);
  std::vector<CommandRule> rules;
  std::uniform_int_distribution<int> table(0, kTables - 1), column(0, kColumnsPerTable - 1);
  for (int i = 0; i < kRules; ++i) {
    std::string target;
    std::string commands = kCommands[static_cast<std::size_t>(i) % std::size(kCommands)];
    if (i < 4000) {
      target = "REALM r" + std::to_string(i % kRealms);
    } else if (i < 4008) {
      target = "ANY";
    } else if (i < 4016) {
      target = "ANY";
      commands = "CONNECT";
    } else if (i % 2 == 0) {
      target = "TABLE t" + std::to_string(table(rng));
    } else {
      target = "COLUMN t" + std::to_string(table(rng)) + ".c" + std::to_string(column(rng));
    }
    const std::string sql =
        "CREATE COMMAND RULE rule" + std::to_string(i) + " FOR " + commands + " ON " + target +
        " " + instantiate(kActions[static_cast<std::size_t>(i) % std::size(kActions)], i);
    auto st = grammar::parse(sql);
    auto rule = compile_command_rule(std::get<ast::CreateCommandRule>(st->node),
                                     static_cast<RuleId>(i), compiler);
    if (!rule) {
      std::fprintf(stderr, "%s: %s\n", sql.c_str(), rule.error().message.c_str());
      std::exit(1);
    }
    rules.push_back(std::move(*rule));
  }
  return RuleIndex(std::move(rules));
}

struct Workload {
  std::vector<std::uint64_t> realm_words;  // one realm bitset per table: kTables x 16 words
  std::vector<std::vector<ObjectAccess>> statements;
  IdBitset roles{128};
  IdBitset unlocked{kRealms};
  Factors factors;

  static constexpr std::size_t kWords = (kRealms + 63) / 64;

  explicit Workload(std::mt19937& rng) : realm_words(static_cast<std::size_t>(kTables) * kWords) {
    for (int t = 0; t < kTables; ++t) {
      const RealmId r = realm_of_table(t);
      realm_words[static_cast<std::size_t>(t) * kWords + r / 64] |= std::uint64_t{1} << (r % 64);
    }
    std::uniform_int_distribution<int> table(0, kTables - 1);
    const ast::Command commands[] = {ast::Command::kSelect, ast::Command::kSelect,
                                     ast::Command::kUpdate, ast::Command::kInsert};
    for (int s = 0; s < kStatements; ++s) {
      std::vector<ObjectAccess> accesses;
      const ast::Command cmd = commands[s % 4];
      for (int k = 0; k < 2; ++k) {
        const int t = table(rng);
        const BitsetView realms(std::span<const std::uint64_t>(
            realm_words.data() + static_cast<std::size_t>(t) * kWords, kWords));
        accesses.push_back({cmd, table_id(t), kNoId, realms});
        for (int c = 0; c < 3; ++c) {
          accesses.push_back(
              {cmd, table_id(t) + 1 + static_cast<ObjectId>(c), table_id(t), realms});
        }
      }
      statements.push_back(std::move(accesses));
    }
    roles.set(1);
    roles.set(2);
    unlocked.set(3);
    factors.current_user = factors.session_user = "alice";
    factors.program_name = "psql";
    factors.client_ip = "10.1.2.3";
    factors.client_address = parse_client_address(factors.client_ip);
    factors.auth_method = "scram-sha-256";
    factors.tls = true;
    factors.now = std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::sys_days(std::chrono::year{2025} / 10 / 15) + std::chrono::hours(12));
    factors.current_user_id = factors.session_user_id = 0;
    factors.roles = roles.view();
    factors.unlocked_realms = unlocked.view();
  }
};

struct Setup {
  std::mt19937 rng{42};
  RuleIndex index = build_index(rng);
  RuleIndex empty;
  Workload work{rng};
};

Setup& setup() {
  static Setup s;
  return s;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Times `n` decisions one by one and prints percentiles.
template <typename Decide>
void percentiles(const char* label, int n, Decide decide) {
  std::vector<std::int64_t> ns(static_cast<std::size_t>(n));
  for (int i = 0; i < n / 10; ++i) decide(i);  // warm-up
  for (int i = 0; i < n; ++i) {
    const std::int64_t t0 = now_ns();
    decide(i);
    ns[static_cast<std::size_t>(i)] = now_ns() - t0;
  }
  std::sort(ns.begin(), ns.end());
  const auto at = [&](double q) { return ns[static_cast<std::size_t>(q * (n - 1))]; };
  std::printf("%-18s p50 %5lld ns   p90 %5lld ns   p99 %5lld ns   p99.9 %6lld ns\n", label,
              static_cast<long long>(at(0.50)), static_cast<long long>(at(0.90)),
              static_cast<long long>(at(0.99)), static_cast<long long>(at(0.999)));
}

void run_percentiles() {
  Setup& s = setup();
  const auto& st = s.work.statements;
  std::size_t denied = 0;
  std::size_t simulated = 0;
  std::size_t checked = 0;
  std::size_t distinct = 0;
  for (const auto& a : st) {
    std::vector<const CommandRule*> seen;
    for (const auto& acc : a) {
      for (const CommandRule* r : s.index.applicable(acc)) {
        if (std::find(seen.begin(), seen.end(), r) == seen.end()) seen.push_back(r);
      }
    }
    distinct += seen.size();
    auto d = s.index.evaluate(a, s.work.factors);
    denied += d.allowed() ? 0 : 1;
    simulated += d.simulated.size();
    for (const auto& acc : a) checked += s.index.applicable(acc).size();
  }
  std::printf("rules_bench: %zu rules, %d realms, %d objects, %d accesses per statement\n",
              s.index.size(), kRealms, kObjects, kAccessesPerStatement);
  std::printf(
      "applicable rules per statement: %.1f, of which distinct (each checked once): %.1f; "
      "denied %zu of %zu; simulated denials %zu\n",
      static_cast<double>(checked) / static_cast<double>(st.size()),
      static_cast<double>(distinct) / static_cast<double>(st.size()), denied, st.size(), simulated);
  constexpr int kN = 1'000'000;
  const auto stmt = [&](int i) -> const std::vector<ObjectAccess>& {
    return st[static_cast<std::size_t>(i) % st.size()];
  };
  percentiles("baseline: clock", kN, [](int) {});
  percentiles("baseline: empty", kN,
              [&](int i) { benchmark::DoNotOptimize(s.empty.evaluate(stmt(i), s.work.factors)); });
  percentiles("rules (10k)", kN,
              [&](int i) { benchmark::DoNotOptimize(s.index.evaluate(stmt(i), s.work.factors)); });
}

void BM_EmptyIndex(benchmark::State& state) {
  Setup& s = setup();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        s.empty.evaluate(s.work.statements[i++ % kStatements], s.work.factors));
  }
}
BENCHMARK(BM_EmptyIndex);

void BM_Decision10kRules(benchmark::State& state) {
  Setup& s = setup();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        s.index.evaluate(s.work.statements[i++ % kStatements], s.work.factors));
  }
}
BENCHMARK(BM_Decision10kRules);

void BM_Login(benchmark::State& state) {
  Setup& s = setup();
  for (auto _ : state) benchmark::DoNotOptimize(s.index.evaluate_login(s.work.factors));
}
BENCHMARK(BM_Login);

}  // namespace

int main(int argc, char** argv) {
  run_percentiles();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
