#include "grammar/utf8.h"

namespace dbvault::grammar {
namespace {

// Length of the sequence starting with `lead`, 0 if it cannot start one.
std::size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

bool is_start(unsigned char c) { return (c & 0xC0) != 0x80; }

}  // namespace

std::size_t find_invalid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t n = sequence_length(lead);
    if (n == 0 || i + n > text.size()) return i;
    unsigned cp = n == 1 ? lead : lead & (0xFF >> (n + 1));
    for (std::size_t k = 1; k < n; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (c & 0x3F);
    }
    // Overlong forms, surrogates, beyond U+10FFFF, and NUL (which C APIs would truncate at).
    static constexpr unsigned kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF || cp == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

std::vector<std::size_t> code_point_offsets(std::string_view text) {
  std::vector<std::size_t> out;
  out.reserve(text.size() + 1);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (is_start(static_cast<unsigned char>(text[i]))) out.push_back(i);
  }
  out.push_back(text.size());
  return out;
}

TextLocation locate(std::string_view text, std::size_t offset) {
  TextLocation loc{1, 1, 1};
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (!is_start(c)) continue;
    ++loc.position;
    if (c == '\n') {
      ++loc.line;
      loc.column = 1;
    } else {
      ++loc.column;
    }
  }
  return loc;
}

}  // namespace dbvault::grammar
