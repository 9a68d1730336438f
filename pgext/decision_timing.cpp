#include "pgext/decision_timing.h"

#include <algorithm>
#include <cctype>
#include <chrono>

namespace dbvault::pgext {

DecisionTiming& decision_timing() noexcept {
  static DecisionTiming timing;
  return timing;
}

std::uint64_t monotonic_ns() noexcept {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

std::uint64_t measure_clock_ns() noexcept {
  // The least of many pairs: a pair the scheduler interrupted says nothing about the clock.
  constexpr int kReads = 4096;
  std::uint64_t least = UINT64_MAX;
  for (int i = 0; i < kReads; ++i) {
    const std::uint64_t a = monotonic_ns();
    least = std::min(least, monotonic_ns() - a);
  }
  return least;
}

std::string format_timing(const DecisionTiming& t, const char* application) {
  std::string app = application != nullptr && *application != '\0' ? application : "-";
  for (char& c : app) {
    const bool plain =
        std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    if (!plain) c = '_';
  }
  if (app.size() > 64) app.resize(64);
  const auto n = [](std::uint64_t v) { return std::to_string(v); };
  return "dbvault decision_timing application=" + app + " decisions=" + n(t.decisions.count) +
         " decision_ns=" + n(t.decisions.total_ns) + " decision_max_ns=" + n(t.decisions.max_ns) +
         " version_checks=" + n(t.version_checks.count) +
         " version_ns=" + n(t.version_checks.total_ns) + " reloads=" + n(t.reloads.count) +
         " reload_ns=" + n(t.reloads.total_ns) + " reload_max_ns=" + n(t.reloads.max_ns) +
         " clock_ns=" + n(t.clock_ns);
}

}  // namespace dbvault::pgext
