#include "server/wire/pg_numeric.h"

#include <cstdint>
#include <vector>

#include "server/wire/pg_scalar.h"
#include "server/wire/wire_bytes.h"

namespace dbvault::server::wire::internal {

namespace {

constexpr std::uint16_t kPositive = 0x0000, kNegative = 0x4000, kNaN = 0xC000, kPosInf = 0xD000,
                        kNegInf = 0xF000;

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Moves the decimal point of int.frac by `exponent` places.
void shift(std::string& int_part, std::string& frac_part, int exponent) {
  if (exponent > 0) {
    const auto n = static_cast<std::size_t>(exponent);
    if (frac_part.size() < n) frac_part.append(n - frac_part.size(), '0');
    int_part += frac_part.substr(0, n);
    frac_part.erase(0, n);
  } else if (exponent < 0) {
    const auto n = static_cast<std::size_t>(-exponent);
    if (int_part.size() < n) int_part.insert(0, n - int_part.size(), '0');
    frac_part.insert(0, int_part.substr(int_part.size() - n));
    int_part.erase(int_part.size() - n);
  }
}

std::string four_digits(std::uint16_t v) {
  std::string s(4, '0');
  for (int i = 3; i >= 0; --i, v /= 10)
    s[static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
  return s;
}

}  // namespace

std::optional<Decimal> parse_decimal(std::string_view text) {
  text = trim_space(text);
  switch (parse_special(text)) {
    case Special::kNaN:
      return Decimal{Decimal::Kind::kNaN, false, {}, {}};
    case Special::kPosInf:
      return Decimal{Decimal::Kind::kPosInf, false, {}, {}};
    case Special::kNegInf:
      return Decimal{Decimal::Kind::kNegInf, false, {}, {}};
    case Special::kNone:
      break;
  }
  Decimal d;
  std::string_view s = text;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    d.negative = s.front() == '-';
    s.remove_prefix(1);
  }
  int exponent = 0;
  if (const auto e = s.find_first_of("eE"); e != std::string_view::npos) {
    std::string_view exp = s.substr(e + 1);
    s = s.substr(0, e);
    const bool exp_negative = !exp.empty() && exp.front() == '-';
    if (!exp.empty() && (exp.front() == '+' || exp.front() == '-')) exp.remove_prefix(1);
    if (exp.empty() || exp.size() > 6 || !all_digits(exp)) return std::nullopt;
    exponent = std::stoi(std::string(exp));
    if (exponent > kMaxDecimalExponent) return std::nullopt;
    if (exp_negative) exponent = -exponent;
  }
  const auto dot = s.find('.');
  std::string int_part(s.substr(0, dot));
  std::string frac_part(dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1));
  if ((int_part.empty() && frac_part.empty()) || !all_digits(int_part) || !all_digits(frac_part)) {
    return std::nullopt;
  }
  shift(int_part, frac_part, exponent);
  const auto first = int_part.find_first_not_of('0');
  int_part.erase(0, first == std::string::npos ? int_part.size() : first);
  if (frac_part.size() > kMaxDecimalScale) return std::nullopt;
  d.int_digits = std::move(int_part);
  d.frac_digits = std::move(frac_part);
  if (d.int_digits.empty() && d.frac_digits.find_first_not_of('0') == std::string::npos) {
    d.negative = false;  // no negative zero
  }
  return d;
}

std::string format_decimal(const Decimal& d) {
  switch (d.kind) {
    case Decimal::Kind::kNaN:
      return "NaN";
    case Decimal::Kind::kPosInf:
      return "Infinity";
    case Decimal::Kind::kNegInf:
      return "-Infinity";
    case Decimal::Kind::kFinite:
      break;
  }
  std::string out = d.negative ? "-" : "";
  out += d.int_digits.empty() ? "0" : d.int_digits;
  if (!d.frac_digits.empty()) out += "." + d.frac_digits;
  return out;
}

std::string numeric_send(const Decimal& d) {
  std::string out;
  if (d.kind != Decimal::Kind::kFinite) {
    const std::uint16_t sign = d.kind == Decimal::Kind::kNaN      ? kNaN
                               : d.kind == Decimal::Kind::kPosInf ? kPosInf
                                                                  : kNegInf;
    put_be<std::int16_t>(out, 0);
    put_be<std::int16_t>(out, 0);
    put_be(out, sign);
    // PostgreSQL 15 sends dscale 32 for the infinities (bits of its header); match its bytes.
    put_be<std::int16_t>(out, d.kind == Decimal::Kind::kNaN ? 0 : 0x20);
    return out;
  }
  // Align the integer digits on the left and the fraction on the right to groups of four.
  std::string int_part = d.int_digits, frac_part = d.frac_digits;
  int_part.insert(0, (4 - int_part.size() % 4) % 4, '0');
  frac_part.append((4 - frac_part.size() % 4) % 4, '0');
  std::vector<std::uint16_t> groups;
  for (std::size_t i = 0; i < int_part.size(); i += 4)
    groups.push_back(static_cast<std::uint16_t>(std::stoi(int_part.substr(i, 4))));
  for (std::size_t i = 0; i < frac_part.size(); i += 4)
    groups.push_back(static_cast<std::uint16_t>(std::stoi(frac_part.substr(i, 4))));
  int weight = static_cast<int>(int_part.size() / 4) - 1;
  std::size_t begin = 0, end = groups.size();
  while (begin < end && groups[begin] == 0) ++begin, --weight;
  while (end > begin && groups[end - 1] == 0) --end;
  if (begin == end) weight = 0;
  put_be(out, static_cast<std::int16_t>(end - begin));
  put_be(out, static_cast<std::int16_t>(weight));
  put_be(out, begin == end ? kPositive : d.negative ? kNegative : kPositive);
  put_be(out, static_cast<std::int16_t>(d.frac_digits.size()));
  for (std::size_t i = begin; i < end; ++i) put_be(out, groups[i]);
  return out;
}

std::optional<Decimal> numeric_recv(std::string_view bytes) {
  ByteReader in(bytes);
  auto ndigits = in.i16();
  auto weight = in.i16();
  auto sign = in.u16();
  auto dscale = in.i16();
  if (!ndigits || !weight || !sign || !dscale || *ndigits < 0 || *dscale < 0 ||
      static_cast<std::size_t>(*dscale) > kMaxDecimalScale ||
      in.remaining() != 2 * static_cast<std::size_t>(*ndigits)) {
    return std::nullopt;
  }
  if (*sign == kNaN) return Decimal{Decimal::Kind::kNaN, false, {}, {}};
  if (*sign == kPosInf) return Decimal{Decimal::Kind::kPosInf, false, {}, {}};
  if (*sign == kNegInf) return Decimal{Decimal::Kind::kNegInf, false, {}, {}};
  if (*sign != kPositive && *sign != kNegative) return std::nullopt;
  std::vector<std::uint16_t> digits;
  for (int i = 0; i < *ndigits; ++i) {
    const auto g = *in.u16();
    if (g > 9999) return std::nullopt;
    digits.push_back(g);
  }
  // Group k has weight (weight - k): it multiplies 10000^(weight - k).
  const auto group = [&](int w) -> std::uint16_t {
    const int k = *weight - w;
    return k >= 0 && k < *ndigits ? digits[static_cast<std::size_t>(k)] : 0;
  };
  Decimal d;
  for (int w = *weight; w >= 0; --w) d.int_digits += four_digits(group(w));
  for (int w = -1; d.frac_digits.size() < static_cast<std::size_t>(*dscale); --w) {
    d.frac_digits += four_digits(group(w));
  }
  d.frac_digits.resize(static_cast<std::size_t>(*dscale));
  const auto first = d.int_digits.find_first_not_of('0');
  d.int_digits.erase(0, first == std::string::npos ? d.int_digits.size() : first);
  const bool zero =
      d.int_digits.empty() && d.frac_digits.find_first_not_of('0') == std::string::npos;
  d.negative = *sign == kNegative && !zero;
  return d;
}

}  // namespace dbvault::server::wire::internal
