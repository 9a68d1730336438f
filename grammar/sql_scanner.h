// SqlScanner: a small, allocation-free tokenizer for routing decisions. It knows just enough
// SQL to find statement boundaries and leading keywords: '...' strings with '' escapes,
// "..." / `...` / [...] quoted identifiers, -- and /* */ comments (not nested, as in
// SQLite), words, and single punctuation characters. It never fails: an unterminated
// string, identifier or comment runs to the end of the input and is flagged.
// Thread-compatible.
#pragma once

#include <cstddef>
#include <string_view>

namespace dbvault::grammar {

struct SqlToken {
  enum class Kind { kWord, kQuoted, kString, kNumber, kPunct, kEnd };
  Kind kind = Kind::kEnd;
  std::string_view text;   // the token as written (quotes included)
  std::size_t offset = 0;  // byte offset in the scanned text
  bool unterminated = false;

  // Case-insensitive comparison of a word token with an upper-case keyword.
  bool is(std::string_view upper_keyword) const;
  bool is_punct(char c) const { return kind == Kind::kPunct && text.size() == 1 && text[0] == c; }
};

class SqlScanner {
 public:
  explicit SqlScanner(std::string_view text) : text_(text) {}
  // The next token, skipping whitespace and comments; kEnd at the end of the input.
  SqlToken next();
  // True if the last skipped comment was unterminated (it ran to the end of the input).
  bool saw_unterminated_comment() const { return unterminated_comment_; }

 private:
  void skip_space_and_comments();
  SqlToken quoted(SqlToken::Kind kind, char close);
  std::string_view text_;
  std::size_t pos_ = 0;
  bool unterminated_comment_ = false;
};

}  // namespace dbvault::grammar
