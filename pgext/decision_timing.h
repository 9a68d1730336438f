// dbvault.decision_timing (docs/postgresql.md, "Performance"): the module's own clock around
// the work it adds to a statement, for the benchmarks — off by default, set only in
// postgresql.conf (PGC_POSTMASTER, superuser-only). When it is on, each backend adds up
//   - decisions: every range table the executor hooks check (ExecutorStart and
//     ExecutorCheckPerms): the relations' object ids (access_memo.h; from the catalogs on a
//     miss), the policy version check, the realm and command-rule decision, the body check and the row guard — the
//     module's whole cost of one allowed decision; a refused one ends in ereport and is not
//     counted;
//   - version_checks: the policy version check alone, when the version had not moved;
//   - reloads: the snapshot rebuilds after another backend's policy change;
// and writes one LOG line with the totals when it exits (format_timing). Nothing of a
// statement (no name, no value) is in the line, only counts and nanoseconds.
// Thread-safety: one backend, one thread.
#pragma once

#include <cstdint>
#include <string>

namespace dbvault::pgext {

// A count, a sum and a maximum of durations in nanoseconds.
struct TimingTotals {
  std::uint64_t count = 0;
  std::uint64_t total_ns = 0;
  std::uint64_t max_ns = 0;
  void add(std::uint64_t ns) noexcept {
    ++count;
    total_ns += ns;
    if (ns > max_ns) max_ns = ns;
  }
};

struct DecisionTiming {
  TimingTotals decisions, version_checks, reloads;
  // What two back-to-back clock reads cost here at best (the floor of every figure),
  // measured once.
  std::uint64_t clock_ns = 0;
};

// The backend's totals.
DecisionTiming& decision_timing() noexcept;

// steady_clock in nanoseconds (vDSO clock_gettime: tens of nanoseconds).
std::uint64_t monotonic_ns() noexcept;

// Measures DecisionTiming::clock_ns: the least of a few thousand back-to-back pairs.
std::uint64_t measure_clock_ns() noexcept;

// The exit line: `dbvault decision_timing application=<a> decisions=<n> decision_ns=<sum>
// decision_max_ns=<m> version_checks=<n> version_ns=<sum> reloads=<n> reload_ns=<sum>
// reload_max_ns=<m> clock_ns=<c>`. `application`: the backend's application_name, with
// anything but [A-Za-z0-9_.-] replaced by '_' (a log line an attacker cannot shape).
std::string format_timing(const DecisionTiming& t, const char* application);

}  // namespace dbvault::pgext
