// The tokens of one SQLite statement as the encrypted-column rewrites see it
// (write_rewrite.h, comparison_rewrite.h): words, quoted identifiers, literals, parameters
// and punctuation, with their offsets in the text, comments and spaces skipped.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace dbvault::storage::columns {

enum class Kind { kWord, kQuoted, kString, kBlob, kNumber, kParam, kBareParam, kPunct };

struct Token {
  Kind kind;
  std::size_t offset, size;
  std::string text;  // words upper-cased; quoted identifiers unquoted; others as written
};

// 42601 for an unterminated literal, identifier or comment.
Result<std::vector<Token>> tokenize(std::string_view s);

// Text inserted at offsets of a statement: (offset, text), in any order.
using Edits = std::vector<std::pair<std::size_t, std::string>>;
// `sql` with the edits inserted (edits at one offset in the order given).
std::string apply_edits(std::string_view sql, const Edits& edits);

}  // namespace dbvault::storage::columns
