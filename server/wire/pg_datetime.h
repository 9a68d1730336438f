// Internal to server/wire: timestamps and dates as PostgreSQL sends them (int64 microseconds /
// int32 days since 2000-01-01, proleptic Gregorian, UTC) and their ISO text forms.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace dbvault::server::wire::internal {

// PostgreSQL's 'infinity' and '-infinity' timestamps.
inline constexpr std::int64_t kTimestampInfinity = std::numeric_limits<std::int64_t>::max();
inline constexpr std::int64_t kTimestampMinusInfinity = std::numeric_limits<std::int64_t>::min();
inline constexpr std::int32_t kDateInfinity = std::numeric_limits<std::int32_t>::max();
inline constexpr std::int32_t kDateMinusInfinity = std::numeric_limits<std::int32_t>::min();
inline constexpr std::int64_t kUnixEpochOffsetSeconds = 946'684'800;  // 2000-01-01 in Unix time

// 'YYYY-MM-DD[( |T)HH:MM[:SS[.f{1,6}]]][Z|(+|-)HH[[:]MM]]' (years 1..9999), 'infinity',
// '-infinity'. The zone offset is applied (the result is UTC) when `apply_zone`, ignored
// otherwise, as PostgreSQL's timestamp (without time zone) input ignores it.
std::optional<std::int64_t> parse_timestamp(std::string_view text, bool apply_zone);
// 'YYYY-MM-DD HH:MM:SS[.ffffff]' (fraction without trailing zeros), with "+00" when
// `with_zone`. nullopt when the year falls outside 1..9999.
std::optional<std::string> format_timestamp(std::int64_t micros, bool with_zone);

// Unix seconds (integer or fractional) to microseconds since 2000-01-01; nullopt on overflow.
std::optional<std::int64_t> timestamp_from_unix(double seconds);

// Days since 2000-01-01 of a timestamp (floor), and the date text 'YYYY-MM-DD'.
std::int32_t date_of(std::int64_t micros);
std::optional<std::string> format_date(std::int32_t days);

}  // namespace dbvault::server::wire::internal
