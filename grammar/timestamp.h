// Timestamp literals (CREATE AUDIT HOLD ... FROM '...' TO '...'), always UTC:
// 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM[:SS]', 'YYYY-MM-DDTHH:MM[:SS]', each optionally followed by
// 'Z' or a '+HH:MM' / '-HH:MM' offset, which is applied.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/result.h"

namespace dbvault::grammar {

// Errors: 22007 (invalid_datetime_format) for anything else, including impossible dates.
Result<std::chrono::sys_seconds> parse_timestamp(std::string_view text);

// RFC 3339 in UTC, e.g. "2025-10-11T04:30:00Z"; parse_timestamp inverts it.
std::string format_timestamp(std::chrono::sys_seconds t);

}  // namespace dbvault::grammar
