#include "grammar/timestamp.h"

#include <cctype>
#include <cstdio>

namespace dbvault::grammar {
namespace {

// Reads exactly `n` digits at `i`; returns -1 if they are not there.
int digits(std::string_view s, std::size_t& i, int n) {
  int v = 0;
  for (int k = 0; k < n; ++k, ++i) {
    if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

bool expect(std::string_view s, std::size_t& i, char c) {
  if (i < s.size() && s[i] == c) {
    ++i;
    return true;
  }
  return false;
}

}  // namespace

Result<std::chrono::sys_seconds> parse_timestamp(std::string_view text) {
  using namespace std::chrono;
  const auto bad = [&] {
    return make_error(sqlstate::kInvalidDatetimeFormat,
                      "invalid timestamp '" + std::string(text) +
                          "' (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)");
  };
  std::size_t i = 0;
  const int y = digits(text, i, 4);
  if (y < 0 || !expect(text, i, '-')) return bad();
  const int mo = digits(text, i, 2);
  if (mo < 0 || !expect(text, i, '-')) return bad();
  const int d = digits(text, i, 2);
  if (d < 0) return bad();
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return bad();
  int hh = 0, mm = 0, ss = 0, offset_minutes = 0;
  if (i < text.size() && (text[i] == 'T' || text[i] == 't' || text[i] == ' ')) {
    ++i;
    hh = digits(text, i, 2);
    if (hh < 0 || !expect(text, i, ':')) return bad();
    mm = digits(text, i, 2);
    if (mm < 0) return bad();
    if (expect(text, i, ':')) {
      ss = digits(text, i, 2);
      if (ss < 0) return bad();
    }
    if (hh > 23 || mm > 59 || ss > 59) return bad();
    if (expect(text, i, 'Z') || expect(text, i, 'z')) {
    } else if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
      const int sign = text[i++] == '+' ? 1 : -1;
      const int oh = digits(text, i, 2);
      if (oh < 0 || !expect(text, i, ':')) return bad();
      const int om = digits(text, i, 2);
      if (om < 0 || oh > 23 || om > 59) return bad();
      offset_minutes = sign * (oh * 60 + om);
    }
  }
  if (i != text.size()) return bad();
  return sys_days{ymd} + hours{hh} + minutes{mm} + seconds{ss} - minutes{offset_minutes};
}

std::string format_timestamp(std::chrono::sys_seconds t) {
  using namespace std::chrono;
  const auto day_point = floor<days>(t);
  const year_month_day ymd{day_point};
  const hh_mm_ss hms{t - day_point};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

}  // namespace dbvault::grammar
