#include "server/wire/pg_float.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <type_traits>
#include <vector>

namespace dbvault::server::wire::internal {

namespace {

// An unsigned integer of any size, for exact comparisons of a decimal with a binary fraction.
class BigNat {
 public:
  explicit BigNat(std::uint64_t v) {
    for (; v != 0; v >>= 32) limbs_.push_back(static_cast<std::uint32_t>(v));
  }
  void multiply(std::uint32_t m, int times) {
    for (int t = 0; t < times; ++t) {
      std::uint64_t carry = 0;
      for (auto& limb : limbs_) {
        const std::uint64_t x = std::uint64_t{limb} * m + carry;
        limb = static_cast<std::uint32_t>(x);
        carry = x >> 32;
      }
      if (carry != 0) limbs_.push_back(static_cast<std::uint32_t>(carry));
    }
  }
  void shift_left(int bits) {
    if (limbs_.empty()) return;
    limbs_.insert(limbs_.begin(), static_cast<std::size_t>(bits / 32), 0);
    multiply(std::uint32_t{1} << (bits % 32), 1);
  }
  bool operator==(const BigNat&) const = default;  // both without leading zero limbs

 private:
  std::vector<std::uint32_t> limbs_;  // least significant first
};

// d.ddd x 10^exponent, digits without the point.
struct Scientific {
  std::string digits;
  int exponent = 0;
};

// |v| to `precision` digits after the point; shortest round trip when precision < 0.
template <typename F>
Scientific scientific(F v, int precision) {
  char buf[64];
  const auto r = precision < 0 ? std::to_chars(buf, buf + sizeof buf, std::fabs(v),
                                               std::chars_format::scientific)
                               : std::to_chars(buf, buf + sizeof buf, std::fabs(v),
                                               std::chars_format::scientific, precision);
  const std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
  const auto e = text.find('e');
  Scientific s;
  for (char c : text.substr(0, e)) {
    if (c != '.') s.digits.push_back(c);
  }
  std::string_view exp = text.substr(e + 1);
  if (exp.front() == '+') exp.remove_prefix(1);
  std::from_chars(exp.data(), exp.data() + exp.size(), s.exponent);
  return s;
}

// True when the decimal s equals n x 2^f exactly.
bool equals(const Scientific& s, std::uint64_t n, int f) {
  const int k = s.exponent - static_cast<int>(s.digits.size()) + 1;
  BigNat a(std::stoull(s.digits)), b(n);
  int a2 = 0, b2 = f;
  if (k >= 0) {
    a.multiply(5, k);
    a2 += k;
  } else {
    b.multiply(5, -k);
    b2 -= k;
  }
  if (a2 > b2) a.shift_left(a2 - b2);
  if (b2 > a2) b.shift_left(b2 - a2);
  return a == b;
}

// True when s is one of the two midpoints between |v| and its neighbours.
template <typename F>
bool on_boundary(F v, const Scientific& s) {
  using Bits = std::conditional_t<sizeof(F) == 8, std::uint64_t, std::uint32_t>;
  constexpr int kFraction = std::numeric_limits<F>::digits - 1;  // 52 or 23 stored bits
  constexpr int kBias = std::numeric_limits<F>::max_exponent - 1 + kFraction;
  if (v == 0) return false;
  const Bits bits = std::bit_cast<Bits>(std::fabs(v));
  const std::uint64_t fraction = bits & ((Bits{1} << kFraction) - 1);
  const int biased = static_cast<int>(bits >> kFraction);
  const std::uint64_t m = biased == 0 ? fraction : fraction | (std::uint64_t{1} << kFraction);
  const int e = biased == 0 ? 1 - kBias : biased - kBias;
  // Below a power of two the gap to the next smaller value is half as wide.
  const bool narrow_below = fraction == 0 && biased > 1;
  return equals(s, 2 * m + 1, e - 1) ||
         (narrow_below ? equals(s, 4 * m - 1, e - 2) : equals(s, 2 * m - 1, e - 1));
}

template <typename F>
std::string format(F v, int threshold) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  Scientific s = scientific(v, -1);
  constexpr int kMaxDigits = std::numeric_limits<F>::max_digits10;
  for (int p = static_cast<int>(s.digits.size()); p < kMaxDigits && on_boundary(v, s); ++p) {
    s = scientific(v, p);
  }
  const std::string& d = s.digits;
  std::string out = std::signbit(v) ? "-" : "";
  if (s.exponent < -4 || s.exponent >= threshold) {
    out += d[0];
    if (d.size() > 1) out += "." + d.substr(1);
    out += s.exponent < 0 ? "e-" : "e+";
    const int a = std::abs(s.exponent);
    if (a < 10) out += '0';
    out += std::to_string(a);
  } else if (s.exponent < 0) {
    out += "0." + std::string(static_cast<std::size_t>(-s.exponent - 1), '0') + d;
  } else {
    const auto int_digits = static_cast<std::size_t>(s.exponent) + 1;
    if (d.size() <= int_digits) {
      out += d + std::string(int_digits - d.size(), '0');
    } else {
      out += d.substr(0, int_digits) + "." + d.substr(int_digits);
    }
  }
  return out;
}

}  // namespace

std::string format_float8(double v) { return format(v, 15); }
std::string format_float4(float v) { return format(v, 6); }

std::optional<float> to_float4(double v) {
  // From half an ulp above FLT_MAX, values round to infinity: float4in calls that overflow.
  static const double kLimit = std::ldexp(1.0, 128) - std::ldexp(1.0, 103);
  if (std::isfinite(v) && std::fabs(v) >= kLimit) return std::nullopt;
  return static_cast<float>(v);
}

}  // namespace dbvault::server::wire::internal
