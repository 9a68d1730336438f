// UTF-8 helpers for mapping between ANTLR's code-point indices, byte offsets and the
// line/column a user sees.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace dbvault::grammar {

// Byte offset of the first invalid sequence, or npos if `text` is valid UTF-8.
std::size_t find_invalid_utf8(std::string_view text);

// Byte offset of every code point of valid UTF-8 `text`, plus text.size() at the end.
std::vector<std::size_t> code_point_offsets(std::string_view text);

struct TextLocation {
  int line;      // 1-based
  int column;    // 1-based, in characters
  int position;  // 1-based character offset from the start of the text
};

// Where byte `offset` of valid UTF-8 `text` lies.
TextLocation locate(std::string_view text, std::size_t offset);

}  // namespace dbvault::grammar
