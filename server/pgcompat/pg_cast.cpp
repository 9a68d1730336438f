#include "server/pgcompat/pg_cast.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>

#include "server/wire/pg_types.h"

namespace dbvault::server::pgcompat::detail {
namespace {

void fail(sqlite3_context* ctx, const std::string& message) {
  sqlite3_result_error(ctx, message.c_str(), static_cast<int>(message.size()));
}

std::string_view text_of(sqlite3_value* v) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
  return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_value_bytes(v)))
           : std::string_view();
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string invalid_input(std::string_view type, std::string_view text) {
  return "invalid input syntax for type " + std::string(type) + ": \"" + std::string(text) + "\"";
}

struct IntType {
  std::string_view name, display;
  std::int64_t min, max;
};

void to_integer(sqlite3_context* ctx, sqlite3_value* v, const IntType& t) {
  std::int64_t n = 0;
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
      n = sqlite3_value_int64(v);
      break;
    case SQLITE_FLOAT: {
      const double d = std::round(sqlite3_value_double(v));  // PostgreSQL rounds, SQLite truncates
      if (!(d >= static_cast<double>(t.min) && d <= static_cast<double>(t.max))) {
        return fail(ctx, std::string(t.display) + " out of range");
      }
      n = static_cast<std::int64_t>(d);
      break;
    }
    case SQLITE_TEXT: {
      std::string_view s = trimmed(text_of(v));
      const char* b = s.data() + (!s.empty() && s.front() == '+' ? 1 : 0);
      const auto r = std::from_chars(b, s.data() + s.size(), n);
      if (r.ec == std::errc::result_out_of_range)
        return fail(ctx, std::string(t.display) + " out of range");
      if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) {
        return fail(ctx, invalid_input(t.display, text_of(v)));
      }
      break;
    }
    default:
      return fail(ctx, "cannot cast type bytea to " + std::string(t.display));
  }
  if (n < t.min || n > t.max) return fail(ctx, std::string(t.display) + " out of range");
  sqlite3_result_int64(ctx, n);
}

void to_float(sqlite3_context* ctx, sqlite3_value* v, std::string_view display) {
  if (sqlite3_value_type(v) == SQLITE_INTEGER || sqlite3_value_type(v) == SQLITE_FLOAT) {
    return sqlite3_result_double(ctx, sqlite3_value_double(v));
  }
  if (sqlite3_value_type(v) != SQLITE_TEXT)
    return fail(ctx, "cannot cast type bytea to " + std::string(display));
  const std::string s(trimmed(text_of(v)));
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size())
    return fail(ctx, invalid_input(display, text_of(v)));
  sqlite3_result_double(ctx, d);
}

void to_numeric(sqlite3_context* ctx, sqlite3_value* v, int scale) {
  if (sqlite3_value_type(v) == SQLITE_INTEGER && scale <= 0)
    return sqlite3_result_int64(ctx, sqlite3_value_int64(v));
  double d = 0;
  if (sqlite3_value_type(v) == SQLITE_TEXT) {
    const std::string s(trimmed(text_of(v)));
    std::int64_t n = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), n);
    if (!s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size() && scale <= 0) {
      return sqlite3_result_int64(ctx, n);
    }
    char* end = nullptr;
    d = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size())
      return fail(ctx, invalid_input("numeric", text_of(v)));
  } else if (sqlite3_value_type(v) == SQLITE_BLOB) {
    return fail(ctx, "cannot cast type bytea to numeric");
  } else {
    d = sqlite3_value_double(v);
  }
  if (scale > 0) {
    const double f = std::pow(10.0, scale);
    d = std::round(d * f) / f;
  }
  sqlite3_result_double(ctx, d);
}

void to_bool(sqlite3_context* ctx, sqlite3_value* v) {
  if (sqlite3_value_type(v) == SQLITE_INTEGER)
    return sqlite3_result_int(ctx, sqlite3_value_int64(v) != 0);
  std::string s(trimmed(text_of(v)));
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* t : {"t", "true", "yes", "y", "on", "1"})
    if (s == t) return sqlite3_result_int(ctx, 1);
  for (const char* f : {"f", "false", "no", "n", "off", "0"})
    if (s == f) return sqlite3_result_int(ctx, 0);
  fail(ctx, invalid_input("boolean", text_of(v)));
}

// Characters (UTF-8 code points) of s, truncated to n; bpchar pads with blanks to n.
void to_char_n(sqlite3_context* ctx, sqlite3_value* v, int n, bool pad) {
  std::string s(text_of(v));
  if (n > 0) {
    std::size_t bytes = 0;
    int chars = 0;
    while (bytes < s.size() && chars < n) {
      ++bytes, ++chars;
      while (bytes < s.size() && (static_cast<unsigned char>(s[bytes]) & 0xC0) == 0x80) ++bytes;
    }
    s.resize(bytes);
    if (pad) s.append(static_cast<std::size_t>(n - chars), ' ');
  }
  sqlite3_result_text(ctx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
}

void to_bytea(sqlite3_context* ctx, sqlite3_value* v) {
  if (sqlite3_value_type(v) == SQLITE_BLOB) return sqlite3_result_value(ctx, v);
  const std::string_view s = text_of(v);
  if (!s.starts_with("\\x")) {
    if (s.find('\\') != std::string_view::npos) return fail(ctx, invalid_input("bytea", s));
    return sqlite3_result_blob(ctx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  std::string out;
  for (std::size_t i = 2; i + 1 < s.size() + 1; i += 2) {
    unsigned byte = 0;
    if (i + 1 >= s.size() ||
        std::from_chars(s.data() + i, s.data() + i + 2, byte, 16).ptr != s.data() + i + 2) {
      return fail(ctx, invalid_input("bytea", s));
    }
    out += static_cast<char>(byte);
  }
  sqlite3_result_blob(ctx, out.data(), static_cast<int>(out.size()), SQLITE_TRANSIENT);
}

void to_text_checked(sqlite3_context* ctx, sqlite3_value* v, std::string_view type) {
  const std::string_view s = text_of(v);
  if (type == "json" || type == "jsonb") {
    if (!nlohmann::json::accept(s)) return fail(ctx, invalid_input(type, s));
  } else if (type == "uuid") {
    const std::string_view t = trimmed(s);
    bool ok = t.size() == 36;
    for (std::size_t i = 0; ok && i < t.size(); ++i) {
      ok = (i == 8 || i == 13 || i == 18 || i == 23)
               ? t[i] == '-'
               : std::isxdigit(static_cast<unsigned char>(t[i])) != 0;
    }
    if (!ok) return fail(ctx, invalid_input("uuid", s));
  }
  sqlite3_result_text(ctx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
}

// Dates and timestamps become the canonical text a bound parameter of the type gets
// (wire::decode_param: UTC, no zone suffix), so that stored values compare in time order and
// equal the same instant bound by a driver.
void to_date_time(sqlite3_context* ctx, sqlite3_value* v, std::string_view type) {
  const wire::Oid oid = type == "date"        ? wire::oid::kDate
                        : type == "timestamp" ? wire::oid::kTimestamp
                                              : wire::oid::kTimestamptz;
  auto value = wire::decode_param(oid, wire::Format::kText, std::string(text_of(v)));
  const auto* text = value ? std::get_if<std::string>(&*value) : nullptr;
  if (text == nullptr) {
    return fail(ctx, value ? "cannot cast to type " + std::string(type) : value.error().message);
  }
  sqlite3_result_text(ctx, text->data(), static_cast<int>(text->size()), SQLITE_TRANSIENT);
}

int modifier(std::string_view type) {
  const auto open = type.find('(');
  if (open == std::string_view::npos) return -1;
  const auto comma = type.find(',', open);
  int n = -1;
  if (comma != std::string_view::npos) {
    std::from_chars(type.data() + comma + 1, type.data() + type.size(), n);  // numeric(p, s): s
  } else {
    std::from_chars(type.data() + open + 1, type.data() + type.size(), n);
  }
  return n;
}

}  // namespace

void pg_cast(sqlite3_context* ctx, sqlite3_value* v, std::string_view type) {
  if (sqlite3_value_type(v) == SQLITE_NULL) return sqlite3_result_null(ctx);
  const std::string_view base = type.substr(0, type.find('('));
  if (base == "int2") return to_integer(ctx, v, {"int2", "smallint", INT16_MIN, INT16_MAX});
  if (base == "int4") return to_integer(ctx, v, {"int4", "integer", INT32_MIN, INT32_MAX});
  if (base == "int8") return to_integer(ctx, v, {"int8", "bigint", INT64_MIN, INT64_MAX});
  if (base == "float4" || base == "float8")
    return to_float(ctx, v, base == "float4" ? "real" : "double precision");
  if (base == "numeric")
    return to_numeric(ctx, v, type.find(',') == std::string_view::npos ? 0 : modifier(type));
  if (base == "bool") return to_bool(ctx, v);
  if (base == "bytea") return to_bytea(ctx, v);
  if (base == "varchar" || base == "bpchar")
    return to_char_n(ctx, v, modifier(type), base == "bpchar");
  if (base == "date" || base == "timestamp" || base == "timestamptz")
    return to_date_time(ctx, v, base);
  if (base == "text" || base == "name" || base == "time" || base == "uuid" || base == "json" ||
      base == "jsonb") {
    if (sqlite3_value_type(v) == SQLITE_BLOB && base == "text") {
      static constexpr char kHex[] = "0123456789abcdef";
      std::string hex = "\\x";
      const auto* p = static_cast<const unsigned char*>(sqlite3_value_blob(v));
      for (int i = 0; i < sqlite3_value_bytes(v); ++i)
        hex += kHex[p[i] >> 4], hex += kHex[p[i] & 15];
      return sqlite3_result_text(ctx, hex.data(), static_cast<int>(hex.size()), SQLITE_TRANSIENT);
    }
    return to_text_checked(ctx, v, base);
  }
  fail(ctx, "cannot cast to type " + std::string(type));
}

namespace {

std::size_t char_len(std::string_view s, std::size_t i) {
  std::size_t n = 1;
  while (i + n < s.size() && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80) ++n;
  return n;
}

bool same_char(std::string_view a, std::string_view b, bool fold) {
  if (a.size() != b.size()) return false;
  if (!fold) return a == b;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

constexpr int kAbort = 2;

// 1 match, 0 no match, kAbort no match at any later start either (the text ran out: this is
// what keeps '%a%a%a...' patterns from backtracking exponentially, as in PostgreSQL's
// like_match.c), -1 a trailing escape character.
int match_from(std::string_view p, std::size_t pi, std::string_view t, std::size_t ti, int esc,
               bool fold) {
  while (pi < p.size()) {
    const char c = p[pi];
    if (c == '%') {
      while (pi < p.size() && p[pi] == '%') ++pi;
      if (pi == p.size()) return 1;
      for (std::size_t k = ti; k <= t.size(); k += (k < t.size() ? char_len(t, k) : 1)) {
        const int r = match_from(p, pi, t, k, esc, fold);
        if (r != 0) return r;
      }
      return kAbort;
    }
    if (ti >= t.size()) {
      // Only a trailing escape is still an error when the text has run out.
      if (esc >= 0 && static_cast<unsigned char>(c) == esc && pi + 1 == p.size()) return -1;
      return kAbort;
    }
    if (c == '_') {
      ++pi, ti += char_len(t, ti);
      continue;
    }
    if (esc >= 0 && static_cast<unsigned char>(c) == esc) {
      if (++pi == p.size()) return -1;
    }
    const std::size_t pl = char_len(p, pi), tl = char_len(t, ti);
    if (!same_char(p.substr(pi, pl), t.substr(ti, tl), fold)) return 0;
    pi += pl, ti += tl;
  }
  return ti == t.size() ? 1 : 0;
}

}  // namespace

int like_match(std::string_view pattern, std::string_view text, int escape, bool fold_case) {
  const int r = match_from(pattern, 0, text, 0, escape, fold_case);
  return r == kAbort ? 0 : r;
}

}  // namespace dbvault::server::pgcompat::detail
