#include "server/wire/pg_datetime.h"

#include <cmath>

namespace dbvault::server::wire::internal {

namespace {

constexpr std::int64_t kMicrosPerSecond = 1'000'000;
constexpr std::int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;
constexpr std::int64_t kDaysUnixTo2000 = 10'957;

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm, proleptic Gregorian).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t year;
  unsigned month, day;
};
Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

bool leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits.
std::optional<unsigned> digits(std::string_view& s, std::size_t n) {
  if (s.size() < n) return std::nullopt;
  unsigned v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  s.remove_prefix(n);
  return v;
}

bool take(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

// "Z", "+HH", "+HHMM", "+HH:MM" (or '-'); returns the offset in seconds east of UTC.
std::optional<std::int64_t> zone_offset(std::string_view s) {
  if (s == "Z" || s == "z") return 0;
  if (s.empty() || (s.front() != '+' && s.front() != '-')) return std::nullopt;
  const int sign = s.front() == '-' ? -1 : 1;
  s.remove_prefix(1);
  auto hh = digits(s, 2);
  if (!hh) return std::nullopt;
  unsigned mm = 0;
  if (!s.empty()) {
    take(s, ':');
    auto m = digits(s, 2);
    if (!m || !s.empty()) return std::nullopt;
    mm = *m;
  }
  if (*hh > 15 || mm > 59) return std::nullopt;
  return sign * static_cast<std::int64_t>(*hh * 3600 + mm * 60);
}

std::string pad(std::int64_t v, int width) {
  std::string s = std::to_string(v);
  if (static_cast<int>(s.size()) < width)
    s.insert(0, static_cast<std::size_t>(width) - s.size(), '0');
  return s;
}

}  // namespace

std::optional<std::int64_t> parse_timestamp(std::string_view s, bool apply_zone) {
  if (s == "infinity") return kTimestampInfinity;
  if (s == "-infinity") return kTimestampMinusInfinity;
  auto y = digits(s, 4);
  if (!y || !take(s, '-')) return std::nullopt;
  auto mo = digits(s, 2);
  if (!mo || !take(s, '-')) return std::nullopt;
  auto d = digits(s, 2);
  if (!d || *y < 1 || *mo < 1 || *mo > 12 || *d < 1 || *d > days_in_month(*y, *mo)) {
    return std::nullopt;
  }
  std::int64_t micros = (days_from_civil(*y, *mo, *d) - kDaysUnixTo2000) * kMicrosPerDay;
  if (s.empty()) return micros;
  if (!take(s, ' ') && !take(s, 'T')) return std::nullopt;
  auto hh = digits(s, 2);
  if (!hh || !take(s, ':')) return std::nullopt;
  auto mi = digits(s, 2);
  if (!mi) return std::nullopt;
  unsigned ss = 0;
  std::int64_t fraction = 0;
  if (take(s, ':')) {
    auto sec = digits(s, 2);
    if (!sec) return std::nullopt;
    ss = *sec;
    if (take(s, '.')) {
      std::int64_t scale = 100'000;
      std::size_t n = 0;
      for (; !s.empty() && s.front() >= '0' && s.front() <= '9'; ++n, s.remove_prefix(1)) {
        if (n >= 6) return std::nullopt;
        fraction += (s.front() - '0') * scale;
        scale /= 10;
      }
      if (n == 0) return std::nullopt;
    }
  }
  if (*hh > 23 || *mi > 59 || ss > 59) return std::nullopt;
  micros += (*hh * 3600 + *mi * 60 + ss) * kMicrosPerSecond + fraction;
  if (s.empty()) return micros;
  auto offset = zone_offset(s);
  if (!offset) return std::nullopt;
  return apply_zone ? micros - *offset * kMicrosPerSecond : micros;
}

std::optional<std::string> format_timestamp(std::int64_t micros, bool with_zone) {
  if (micros == kTimestampInfinity) return "infinity";
  if (micros == kTimestampMinusInfinity) return "-infinity";
  std::int64_t days = micros / kMicrosPerDay, rest = micros % kMicrosPerDay;
  if (rest < 0) rest += kMicrosPerDay, --days;
  const Civil c = civil_from_days(days + kDaysUnixTo2000);
  if (c.year < 1 || c.year > 9999) return std::nullopt;
  const std::int64_t secs = rest / kMicrosPerSecond, frac = rest % kMicrosPerSecond;
  std::string out = pad(c.year, 4) + "-" + pad(c.month, 2) + "-" + pad(c.day, 2) + " " +
                    pad(secs / 3600, 2) + ":" + pad(secs / 60 % 60, 2) + ":" + pad(secs % 60, 2);
  if (frac != 0) {
    std::string f = pad(frac, 6);
    f.erase(f.find_last_not_of('0') + 1);
    out += "." + f;
  }
  if (with_zone) out += "+00";
  return out;
}

std::optional<std::int64_t> timestamp_from_unix(double seconds) {
  if (!std::isfinite(seconds)) return std::nullopt;
  const double micros = std::round((seconds - static_cast<double>(kUnixEpochOffsetSeconds)) * 1e6);
  // Within years 1..9999, well inside int64 (and away from the infinity sentinels).
  if (micros < -63'082'281'600e6 || micros > 252'455'615'999e6) return std::nullopt;
  return static_cast<std::int64_t>(micros);
}

std::int32_t date_of(std::int64_t micros) {
  if (micros == kTimestampInfinity) return kDateInfinity;
  if (micros == kTimestampMinusInfinity) return kDateMinusInfinity;
  std::int64_t days = micros / kMicrosPerDay;
  if (micros % kMicrosPerDay < 0) --days;
  return static_cast<std::int32_t>(days);
}

std::optional<std::string> format_date(std::int32_t days) {
  if (days == kDateInfinity) return "infinity";
  if (days == kDateMinusInfinity) return "-infinity";
  if (days < -730'119 || days > 2'921'939) return std::nullopt;  // outside years 1..9999
  auto ts = format_timestamp(static_cast<std::int64_t>(days) * kMicrosPerDay, false);
  if (!ts) return std::nullopt;
  return ts->substr(0, 10);
}

}  // namespace dbvault::server::wire::internal
