#include "grammar/interval.h"

#include <array>
#include <cctype>
#include <cstdint>

namespace dbvault::grammar {
namespace {

constexpr std::int64_t kMaxSeconds = 10LL * 366 * 24 * 3600;

struct Unit {
  std::string_view names[5];  // singular and plural first: format_interval prints them
  std::int64_t seconds;
};
constexpr std::array<Unit, 5> kUnits{{
    {{"second", "seconds", "sec", "secs", "s"}, 1},
    {{"minute", "minutes", "min", "mins", ""}, 60},
    {{"hour", "hours", "hr", "hrs", "h"}, 3600},
    {{"day", "days", "d", "", ""}, 86400},
    {{"week", "weeks", "w", "", ""}, 7 * 86400},
}};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Error bad(std::string_view text, std::string_view why) {
  return make_error(sqlstate::kInvalidParameterValue,
                    "invalid interval '" + std::string(text) + "': " + std::string(why));
}

}  // namespace

Result<std::chrono::seconds> parse_interval(std::string_view text) {
  std::size_t i = 0;
  std::int64_t total = 0;
  bool any = false;
  auto skip_space = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  skip_space();
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      return bad(text, "expected a number");
    }
    std::int64_t count = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      count = count * 10 + (text[i] - '0');
      if (count > kMaxSeconds) return bad(text, "longer than 10 years");
      ++i;
    }
    skip_space();
    const std::size_t start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    if (start == i) return bad(text, "a number needs a unit (seconds, minutes, hours, days, weeks)");
    const std::string unit = lower(text.substr(start, i - start));
    std::int64_t factor = 0;
    for (const Unit& u : kUnits) {
      for (std::string_view n : u.names) {
        if (!n.empty() && n == unit) factor = u.seconds;
      }
    }
    if (factor == 0) return bad(text, "unknown unit \"" + unit + "\"");
    total += count * factor;
    if (total > kMaxSeconds) return bad(text, "longer than 10 years");
    any = true;
    skip_space();
  }
  if (!any) return bad(text, "empty");
  if (total == 0) return bad(text, "must be longer than zero");
  return std::chrono::seconds(total);
}

std::string format_interval(std::chrono::seconds s) {
  std::int64_t left = s.count();
  std::string out;
  for (auto it = kUnits.rbegin() + 1; it != kUnits.rend(); ++it) {  // days .. seconds
    const std::int64_t n = left / it->seconds;
    if (n == 0) continue;
    left -= n * it->seconds;
    if (!out.empty()) out += ' ';
    out += std::to_string(n) + ' ' + std::string(n == 1 ? it->names[0] : it->names[1]);
  }
  return out.empty() ? "0 seconds" : out;
}

}  // namespace dbvault::grammar
