#include "rules/like_pattern.h"

namespace dbvault::rules::detail {
namespace {

constexpr char kEscape = '\\';

// Bytes in the UTF-8 sequence starting at text[i], clamped to the text (a stray continuation
// or invalid lead byte counts as one character).
std::size_t char_len(std::string_view text, std::size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  std::size_t n = 1;
  if (lead >= 0xF0 && lead <= 0xF7) {
    n = 4;
  } else if (lead >= 0xE0) {
    n = lead <= 0xEF ? 3 : 1;
  } else if (lead >= 0xC0) {
    n = 2;
  }
  return std::min(n, text.size() - i);
}

}  // namespace

bool like_pattern_invalid(std::string_view pattern) {
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == kEscape) {
      if (i + 1 == pattern.size()) return true;
      ++i;
    }
  }
  return false;
}

// Greedy matching with one backtrack point (the last '%'): linear in practice, and never
// worse than O(|text| * |pattern|).
bool like_match(std::string_view text, std::string_view pattern) {
  std::size_t t = 0;
  std::size_t p = 0;
  std::size_t star_p = std::string_view::npos;  // pattern position after the last '%'
  std::size_t star_t = 0;                       // text position that '%' currently ends at
  while (t < text.size()) {
    if (p < pattern.size()) {
      const char c = pattern[p];
      if (c == '%') {
        star_p = ++p;
        star_t = t;
        continue;
      }
      if (c == '_') {
        t += char_len(text, t);
        ++p;
        continue;
      }
      const bool escaped = c == kEscape && p + 1 < pattern.size();
      const char want = escaped ? pattern[p + 1] : c;
      if (text[t] == want) {
        ++t;
        p += escaped ? 2 : 1;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    star_t += char_len(text, star_t);
    t = star_t;
    p = star_p;
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

LikePattern LikePattern::analyse(std::string_view pattern) {
  LikePattern out;
  bool leading = false;
  bool trailing = false;
  std::string text;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '%') {
      if (text.empty() && !trailing) {
        leading = true;
        continue;
      }
      trailing = true;
      continue;
    }
    if (trailing || c == '_') return LikePattern{Shape::kGeneral, std::string(pattern)};
    if (c == kEscape) ++i;  // valid pattern: an escape is always followed by a character
    text += pattern[i];
  }
  out.text = std::move(text);
  if (leading && trailing) {
    out.shape = Shape::kContains;
  } else if (leading) {
    out.shape = out.text.empty() ? Shape::kContains : Shape::kSuffix;
  } else {
    out.shape = trailing ? Shape::kPrefix : Shape::kExact;
  }
  return out;
}

bool LikePattern::matches(std::string_view s) const {
  switch (shape) {
    case Shape::kExact:
      return s == text;
    case Shape::kPrefix:
      return s.starts_with(text);
    case Shape::kSuffix:
      return s.ends_with(text);
    case Shape::kContains:
      return s.find(text) != std::string_view::npos;
    case Shape::kGeneral:
      break;
  }
  return like_match(s, text);
}

}  // namespace dbvault::rules::detail
