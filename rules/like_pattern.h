// Internal to rules/: SQL LIKE matching without allocation. '%' matches any run of characters,
// '_' exactly one character (a UTF-8 code point), '\' makes the next character literal.
// Matching is case-sensitive and byte-wise otherwise, as PostgreSQL's LIKE with the C collation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dbvault::rules::detail {

// True if `pattern` ends with an unpaired escape character (PostgreSQL rejects it: 22025).
bool like_pattern_invalid(std::string_view pattern);

// REQUIRES: !like_pattern_invalid(pattern).
bool like_match(std::string_view text, std::string_view pattern);

// A literal pattern analysed at compile time: most patterns used in rules are an exact text,
// a prefix ('export%'), a suffix or a substring, which match with one comparison.
struct LikePattern {
  enum class Shape : std::uint8_t { kExact, kPrefix, kSuffix, kContains, kGeneral };
  Shape shape = Shape::kGeneral;
  std::string text;  // unescaped text for the simple shapes; the raw pattern for kGeneral

  static LikePattern analyse(std::string_view pattern);  // REQUIRES: pattern is valid
  bool matches(std::string_view s) const;
};

}  // namespace dbvault::rules::detail
