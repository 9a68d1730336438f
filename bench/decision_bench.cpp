// decision_bench: what vault::decide costs per statement.
//
// Policy (built as PolicyData, as the store would load it): 1,000 realms requiring a vault
// password; 20,000 tables with 4 columns each (100,000 objects), every table in one realm;
// 10,000 command rules (ON REALM, ON TABLE, ON COLUMN, ON ANY; conditions on program_name,
// HOUR, roles, client_ip) that all pass for the bench session; SELECT granted on every table
// to a role the session's user holds (so RBAC is checked, not bypassed).
// Session: every realm unlocked (so every realm bit is checked and passes).
// Statement: 8 accesses (2 tables x (table + 3 columns)), from 4,096 pre-generated statements.
//
// Printed: p50/p90/p99/p99.9 per decision (each timed alone with steady_clock) for
//   baseline: clock          two back-to-back clock reads
//   baseline: no rules       the same policy without command rules (realms + RBAC only)
//   decide, load() per call  the snapshot taken with SnapshotHolder::load() for each decision
//   decide, memo cold        the session's VerdictMemo forgotten before each decision (untimed):
//                            every applicable rule is evaluated, as on a session's first
//                            statement or the first after a policy change
//   decide                   one thread, snapshot read through a SnapshotHolder::Pin, memo warm
//   decide + publish/N ms    while a second thread publishes a new snapshot every N ms (100:
//                            about the time the store takes to rebuild this policy, so as often
//                            as it can; 1: a stress case in which the memo never warms up)
// and decisions/s; then Google Benchmark's mean for `decide`.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

#include "vault/decision.h"
#include "vault/policy_snapshot.h"
#include "vault/session.h"

using namespace dbvault;
using namespace dbvault::vault;

namespace {

constexpr std::uint32_t kRealms = 1000;
constexpr std::uint32_t kTables = 20000;
constexpr std::uint32_t kColumns = 4;
constexpr std::uint32_t kRules = 10000;
constexpr int kStatements = 4096;
constexpr std::uint32_t kUser = 1;
constexpr std::uint32_t kReaders = 5;

std::uint32_t table_object(std::uint32_t t) { return 1 + t * (1 + kColumns); }

PolicyData make_policy() {
  PolicyData d;
  d.version = 1;
  d.users.push_back({kUser, "bench", ""});
  for (std::uint32_t r = 1; r <= 4; ++r)
    d.roles.push_back({r, "builtin" + std::to_string(r), true});
  d.roles.push_back({kReaders, "readers", false});
  for (std::uint32_t r = 6; r < 16; ++r) d.roles.push_back({r, "role" + std::to_string(r), false});
  d.memberships.push_back({kReaders, ast::PrincipalKind::kUser, kUser});
  for (std::uint32_t r = 1; r <= kRealms; ++r) {
    RealmRow realm;
    realm.id = r;
    realm.name = "r" + std::to_string(r);
    realm.require_password = true;
    realm.has_password = true;
    d.realms.push_back(realm);
  }
  for (std::uint32_t t = 0; t < kTables; ++t) {
    const std::uint32_t id = table_object(t);
    const std::string name = "t" + std::to_string(t);
    d.objects.push_back({id, "main", name, "", 0});
    for (std::uint32_t c = 0; c < kColumns; ++c) {
      d.objects.push_back({id + 1 + c, "main", name, "c" + std::to_string(c), 0});
    }
    d.realm_objects.push_back({1 + t % kRealms, id});
    d.privileges.push_back({id, ast::PrincipalKind::kRole, kReaders, kPrivSelect});
  }
  const char* const conditions[] = {
      "DENY WHEN program_name = 'export_tool_{i}'",
      "DENY WHEN HOUR(CURRENT_TIMESTAMP) NOT BETWEEN 0 AND 23",
      "DENY FROM ROLE role7, role9",
      "ALLOW ONLY WHEN IN_CIDR(client_ip, '10.0.0.0/8')",
      "DENY WHEN program_name LIKE 'dump{i}%' AND NOT HAS_ROLE('readers')",
  };
  for (std::uint32_t i = 0; i < kRules; ++i) {
    std::string target;
    if (i % 5 == 0)
      target = "REALM r" + std::to_string(1 + i % kRealms);
    else if (i % 5 == 1 || i % 5 == 2)
      target = "TABLE t" + std::to_string((i * 7) % kTables);
    else if (i < kRules - 8)
      target = "COLUMN t" + std::to_string((i * 13) % kTables) + ".c1";
    else
      target = "ANY";
    std::string cond = conditions[i % 5];
    if (auto p = cond.find("{i}"); p != std::string::npos) cond.replace(p, 3, std::to_string(i));
    d.command_rules.push_back({i + 1, "rule" + std::to_string(i),
                               "CREATE COMMAND RULE rule" + std::to_string(i) +
                                   " FOR SELECT, UPDATE ON " + target + " " + cond});
  }
  return d;
}

std::vector<std::vector<Access>> make_statements() {
  std::mt19937 rng(42);
  std::vector<std::vector<Access>> out(kStatements);
  for (auto& st : out) {
    for (int k = 0; k < 2; ++k) {
      const std::uint32_t t = rng() % kTables;
      st.push_back({ast::Command::kSelect, table_object(t)});
      for (std::uint32_t c = 0; c < 3; ++c)
        st.push_back({ast::Command::kSelect, table_object(t) + 1 + c});
    }
  }
  return out;
}

Session make_session(TimePoint now) {
  SessionInfo info{"sess", "psql", "10.1.2.3", "scram-sha-256", true};
  Session s(kUser, "bench", info);
  for (std::uint32_t r = 1; r <= kRealms; ++r) {
    s.add_unlock(r, now + std::chrono::hours(1), 1000 + r, "vt", SecretString("t"));
  }
  return s;
}

TimePoint now_point() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

// Times f(i) for i in [0, n); prepare(i), if given, runs before each f(i), untimed.
template <typename F, typename P = void (*)(int)>
void percentiles(
    const char* label, int n, F&& f, P&& prepare = [](int) {}) {
  std::vector<double> ns(static_cast<std::size_t>(n));
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    prepare(i);
    const auto t0 = std::chrono::steady_clock::now();
    f(i);
    const auto t1 = std::chrono::steady_clock::now();
    ns[static_cast<std::size_t>(i)] = std::chrono::duration<double, std::nano>(t1 - t0).count();
  }
  const double total_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::sort(ns.begin(), ns.end());
  auto at = [&](double q) { return ns[static_cast<std::size_t>(q * (n - 1))]; };
  std::printf(
      "%-24s p50 %7.0f ns  p90 %7.0f ns  p99 %7.0f ns  p99.9 %8.0f ns  %10.0f decisions/s\n", label,
      at(0.5), at(0.9), at(0.99), at(0.999), n / total_s);
}

struct Fixture {
  SnapshotHolder holder;
  std::shared_ptr<const PolicySnapshot> a, b, no_rules;
  std::vector<std::vector<Access>> statements = make_statements();
  TimePoint now = now_point();
  Session session = make_session(now);
  Fixture() {
    PolicySnapshot::ParseCache cache;
    const auto t0 = std::chrono::steady_clock::now();
    a = PolicySnapshot::build(make_policy(), &cache);
    const auto t1 = std::chrono::steady_clock::now();
    b = PolicySnapshot::build(make_policy(), &cache);
    const auto t2 = std::chrono::steady_clock::now();
    using ms = std::chrono::duration<double, std::milli>;
    std::printf(
        "snapshot build (policy generation included): %.0f ms cold, %.0f ms with the "
        "rule parse cache warm\n",
        ms(t1 - t0).count(), ms(t2 - t1).count());
    PolicyData bare = make_policy();
    bare.command_rules.clear();
    no_rules = PolicySnapshot::build(std::move(bare));
    holder.publish(a);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void run_percentiles() {
  Fixture& f = fixture();
  const auto& errors = f.a->compile_errors();
  std::printf("rules: %zu indexed, %zu compile errors\n", f.a->rules().size(), errors.size());
  for (std::size_t i = 0; i < errors.size() && i < 3; ++i) std::printf("  %s\n", errors[i].c_str());
  // Sanity: the bench statement is allowed (else we would time the denial path).
  auto d = decide(*f.holder.load(), f.session, f.statements[0], f.now);
  std::printf("sanity: %s%s\n",
              d.allowed() ? "allowed" : "DENIED: ", d.allowed() ? "" : d.error->message.c_str());
  constexpr int kN = 200000;
  constexpr int kNPublishing = 2000000;  // long enough to see several publishes at 100 ms
  percentiles("baseline: clock", kN, [](int) {});
  int sink = 0;
  percentiles("baseline: no rules", kN, [&](int i) {
    sink += decide(*f.no_rules, f.session, f.statements[i % kStatements], f.now).allowed();
  });
  percentiles("decide, load() per call", kN, [&](int i) {
    auto snap = f.holder.load();
    sink += decide(*snap, f.session, f.statements[i % kStatements], f.now).allowed();
  });
  SnapshotHolder::Pin pin;
  percentiles(
      "decide, memo cold", kN,
      [&](int i) {
        sink += decide(*f.holder.current(pin), f.session, f.statements[i % kStatements], f.now)
                    .allowed();
      },
      [&](int) { f.session.rule_memo().forget(); });
  for (int i = 0; i < kStatements; ++i) {  // "memo warm": every statement seen once
    sink += decide(*f.holder.current(pin), f.session, f.statements[i], f.now).allowed();
  }
  percentiles("decide", kN, [&](int i) {
    sink +=
        decide(*f.holder.current(pin), f.session, f.statements[i % kStatements], f.now).allowed();
  });
  for (const int period_ms : {100, 1}) {
    std::atomic<bool> stop{false};
    std::atomic<int> published{0};
    std::thread publisher([&] {
      bool flip = false;
      while (!stop.load()) {
        f.holder.publish(flip ? f.a : f.b);
        flip = !flip;
        published.fetch_add(1);
        std::this_thread::sleep_for(std::chrono::milliseconds(period_ms));
      }
    });
    const std::string label = "decide + publish/" + std::to_string(period_ms) + "ms";
    percentiles(label.c_str(), kNPublishing, [&](int i) {
      sink +=
          decide(*f.holder.current(pin), f.session, f.statements[i % kStatements], f.now).allowed();
    });
    stop = true;
    publisher.join();
    std::printf("  snapshots published meanwhile: %d\n", published.load());
  }
  std::printf("allowed: %d\n", sink);
}

void BM_decide(benchmark::State& state) {
  Fixture& f = fixture();
  SnapshotHolder::Pin pin;
  int i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        decide(*f.holder.current(pin), f.session, f.statements[i++ % kStatements], f.now));
  }
}
BENCHMARK(BM_decide);

}  // namespace

int main(int argc, char** argv) {
  run_percentiles();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
