// Internal to server/wire: PostgreSQL NUMERIC in its text form (numeric_in / numeric_out) and
// its binary form (numeric_send / numeric_recv: Int16 ndigits, Int16 weight, Int16 sign,
// Int16 dscale, then ndigits base-10000 digits, most significant first).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dbvault::server::wire::internal {

struct Decimal {
  enum class Kind { kFinite, kNaN, kPosInf, kNegInf };
  Kind kind = Kind::kFinite;
  bool negative = false;
  std::string int_digits;   // without leading zeros; "" for zero
  std::string frac_digits;  // exactly dscale digits (trailing zeros kept: "1.50" has 2)
};

// Exponents beyond this are refused (numeric_in allows about as much; it bounds the work).
inline constexpr int kMaxDecimalExponent = 1000;
inline constexpr std::size_t kMaxDecimalScale = 0x3FFF;  // PostgreSQL's NUMERIC_MAX_DSCALE

// "[ws][+-]digits[.digits][e[+-]digits][ws]", ".5", "5.", NaN, [+-]Infinity / inf.
std::optional<Decimal> parse_decimal(std::string_view text);
std::string format_decimal(const Decimal& d);

std::string numeric_send(const Decimal& d);
// nullopt when the bytes are not a well-formed NUMERIC (length, sign, digit > 9999, dscale).
std::optional<Decimal> numeric_recv(std::string_view bytes);

}  // namespace dbvault::server::wire::internal
