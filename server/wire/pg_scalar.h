// Internal to server/wire: PostgreSQL's text forms of integers, float input, booleans and bytea,
// and the UTF-8 check of text values. Parsers return nullopt on invalid input; the callers in
// pg_types.cpp turn that into 22P02 with the type's name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dbvault::server::wire::internal {

// Helpers shared with pg_numeric.cpp.
bool is_space(char c);                                     // isspace() in the C locale
std::string_view trim_space(std::string_view s);           // without leading and trailing spaces
bool iequals(std::string_view a, std::string_view lower);  // a, ASCII case-folded, == lower
// NaN, [+-]Infinity and [+-]inf (case-insensitive), as float8in and numeric_in spell them.
enum class Special { kNone, kNaN, kPosInf, kNegInf };
Special parse_special(std::string_view trimmed);

// int2in/int4in/int8in: optional surrounding whitespace, an optional sign, decimal digits.
// nullopt when not an integer; `out_of_range` set when it is one but outside [min, max].
std::optional<std::int64_t> parse_integer(std::string_view text, std::int64_t min, std::int64_t max,
                                          bool& out_of_range);

// float8in: decimal or exponent notation, NaN, [+-]Infinity / inf (case-insensitive),
// surrounding whitespace. nullopt when invalid (a finite value too large is invalid too).
std::optional<double> parse_float(std::string_view text);

// boolin: t/true/y/yes/on/1 and f/false/n/no/off/0, case-insensitive, unique prefixes.
std::optional<bool> parse_bool(std::string_view text);

// byteaout (bytea_output = hex): "\x" and two lower-case hex digits per byte.
std::string format_bytea(std::string_view bytes);
// byteain: the hex form, or the escape form (\\ and \ooo).
std::optional<std::string> parse_bytea(std::string_view text);

// True when `text` is well-formed UTF-8 without NUL (what PostgreSQL's text types accept).
bool valid_text(std::string_view text);

}  // namespace dbvault::server::wire::internal
