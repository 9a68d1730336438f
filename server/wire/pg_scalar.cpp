#include "server/wire/pg_scalar.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace dbvault::server::wire::internal {

namespace {

// True when `s` (lower-cased) is a prefix of `word` at least `min` characters long.
bool iprefix(std::string_view s, std::string_view word, std::size_t min = 1) {
  return s.size() >= min && s.size() <= word.size() && iequals(s, word.substr(0, s.size()));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim_space(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char c = (a[i] >= 'A' && a[i] <= 'Z') ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (c != lower[i]) return false;
  }
  return true;
}

Special parse_special(std::string_view s) {
  if (iequals(s, "nan")) return Special::kNaN;
  const bool negative = s.starts_with('-');
  if (negative || s.starts_with('+')) s.remove_prefix(1);
  if (iequals(s, "infinity") || iequals(s, "inf")) {
    return negative ? Special::kNegInf : Special::kPosInf;
  }
  return Special::kNone;
}

std::optional<std::int64_t> parse_integer(std::string_view text, std::int64_t min, std::int64_t max,
                                          bool& out_of_range) {
  out_of_range = false;
  std::string_view s = trim_space(text);
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  // Accumulate negatively so that INT64_MIN is representable.
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const int d = c - '0';
    if (v < (std::numeric_limits<std::int64_t>::min() + d) / 10) {
      out_of_range = true;
    } else {
      v = v * 10 - d;
    }
  }
  if (out_of_range) return std::nullopt;
  if (!negative) {
    if (v == std::numeric_limits<std::int64_t>::min()) {
      out_of_range = true;
      return std::nullopt;
    }
    v = -v;
  }
  if (v < min || v > max) {
    out_of_range = true;
    return std::nullopt;
  }
  return v;
}

std::optional<double> parse_float(std::string_view text) {
  const std::string_view s = trim_space(text);
  constexpr double kInf = std::numeric_limits<double>::infinity();
  switch (parse_special(s)) {
    case Special::kNaN:
      return std::numeric_limits<double>::quiet_NaN();
    case Special::kPosInf:
      return kInf;
    case Special::kNegInf:
      return -kInf;
    case Special::kNone:
      break;
  }
  std::string_view body = s;
  const bool negative = body.starts_with('-');
  if (negative || body.starts_with('+')) body.remove_prefix(1);
  if (body.empty() || !((body.front() >= '0' && body.front() <= '9') || body.front() == '.')) {
    return std::nullopt;  // from_chars would accept "nan", "inf"... spelled differently
  }
  double v = 0;
  auto r = std::from_chars(body.data(), body.data() + body.size(), v);
  if (r.ec != std::errc() || r.ptr != body.data() + body.size()) return std::nullopt;
  return negative ? -v : v;
}

std::optional<bool> parse_bool(std::string_view text) {
  const std::string_view s = trim_space(text);
  if (s.empty()) return std::nullopt;
  if (iprefix(s, "true") || iprefix(s, "yes") || iprefix(s, "on", 2) || s == "1") return true;
  if (iprefix(s, "false") || iprefix(s, "no") || iprefix(s, "off", 2) || s == "0") return false;
  return std::nullopt;
}

std::string format_bytea(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + 2 * bytes.size());
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::optional<std::string> parse_bytea(std::string_view text) {
  std::string out;
  if (text.starts_with("\\x")) {
    for (std::size_t i = 2; i < text.size();) {
      if (is_space(text[i])) {
        ++i;
        continue;
      }
      if (i + 1 >= text.size()) return std::nullopt;
      const int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    }
    return out;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out.push_back(text[i]);
    } else if (i + 1 < text.size() && text[i + 1] == '\\') {
      out.push_back('\\');
      ++i;
    } else if (i + 3 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '3' &&
               text[i + 2] >= '0' && text[i + 2] <= '7' && text[i + 3] >= '0' &&
               text[i + 3] <= '7') {
      out.push_back(static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 +
                                      (text[i + 3] - '0')));
      i += 3;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

bool valid_text(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b == 0) return false;
    if (b < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if ((b & 0xE0) == 0xC0) {
      n = 1, cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      n = 2, cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      n = 3, cp = b & 0x07;
    } else {
      return false;
    }
    if (i + n >= text.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace dbvault::server::wire::internal
