// How long a command rule's verdict stays what it is for an unchanged session: the only
// factor that changes on its own is CURRENT_TIMESTAMP, and most rules read it through HOUR()
// or DAY_OF_WEEK(), whose value holds until the next UTC hour or day. RuleIndex uses this to
// let a session remember verdicts between statements (VerdictMemo).
#pragma once

#include <cstdint>

namespace dbvault::rules::detail {

struct Program;

enum class TimeDependence : std::uint8_t {
  kNone,   // never reads CURRENT_TIMESTAMP
  kHour,   // reads it only through HOUR()
  kDay,    // only through DAY_OF_WEEK() (and HOUR())
  kExact,  // uses it any other way: the verdict may change at any microsecond
};

// The dependence of `program`, rule sets it calls included.
TimeDependence time_dependence(const Program& program);

// The first instant after `now_us` at which a verdict of dependence `d` may change:
// INT64_MAX for kNone, the next UTC hour / day for kHour / kDay, `now_us` itself (the
// verdict must not be remembered) for kExact.
std::int64_t verdict_valid_until(TimeDependence d, std::int64_t now_us);

}  // namespace dbvault::rules::detail
