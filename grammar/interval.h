// Interval literals of VALID FOR INTERVAL '...': one or more "<count> <unit>" pairs, e.g.
// '2 HOURS', '90 minutes', '1 hour 30 minutes', '30 SECONDS', '7 days'. Units (any case,
// singular or plural): second/sec/secs/s, minute/min/mins, hour/hr/hrs/h, day/d, week/w.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/result.h"

namespace dbvault::grammar {

// The interval as whole seconds. Errors (22023): empty, unknown unit, a count without a
// unit, zero length, longer than 10 years.
Result<std::chrono::seconds> parse_interval(std::string_view text);

// The canonical text of an interval, e.g. "1 hour 30 minutes"; parse_interval inverts it.
std::string format_interval(std::chrono::seconds s);

}  // namespace dbvault::grammar
