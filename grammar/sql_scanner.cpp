#include "grammar/sql_scanner.h"

#include <cctype>

namespace dbvault::grammar {
namespace {

bool word_start(unsigned char c) { return std::isalpha(c) || c == '_' || c >= 0x80; }
bool word_part(unsigned char c) { return std::isalnum(c) || c == '_' || c == '$' || c >= 0x80; }

}  // namespace

bool SqlToken::is(std::string_view upper_keyword) const {
  if (kind != Kind::kWord || text.size() != upper_keyword.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(text[i])) != upper_keyword[i]) return false;
  }
  return true;
}

void SqlScanner::skip_space_and_comments() {
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++pos_;
    } else if (c == '-' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '-') {
      while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
    } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '*') {
      const std::size_t end = text_.find("*/", pos_ + 2);
      if (end == std::string_view::npos) {
        unterminated_comment_ = true;
        pos_ = text_.size();
      } else {
        pos_ = end + 2;
      }
    } else {
      return;
    }
  }
}

SqlToken SqlScanner::quoted(SqlToken::Kind kind, char close) {
  const std::size_t start = pos_++;
  while (pos_ < text_.size()) {
    if (text_[pos_] == close) {
      // A doubled closing quote is an escaped quote, except for [...] identifiers.
      if (close != ']' && pos_ + 1 < text_.size() && text_[pos_ + 1] == close) {
        pos_ += 2;
        continue;
      }
      ++pos_;
      return SqlToken{kind, text_.substr(start, pos_ - start), start, false};
    }
    ++pos_;
  }
  return SqlToken{kind, text_.substr(start), start, true};
}

SqlToken SqlScanner::next() {
  skip_space_and_comments();
  if (pos_ >= text_.size()) return SqlToken{SqlToken::Kind::kEnd, {}, text_.size(), false};
  const auto c = static_cast<unsigned char>(text_[pos_]);
  switch (c) {
    case '\'': return quoted(SqlToken::Kind::kString, '\'');
    case '"': return quoted(SqlToken::Kind::kQuoted, '"');
    case '`': return quoted(SqlToken::Kind::kQuoted, '`');
    case '[': return quoted(SqlToken::Kind::kQuoted, ']');
    default: break;
  }
  const std::size_t start = pos_;
  if (word_start(c)) {
    while (pos_ < text_.size() && word_part(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    return SqlToken{SqlToken::Kind::kWord, text_.substr(start, pos_ - start), start, false};
  }
  if (std::isdigit(c)) {
    while (pos_ < text_.size() && std::isalnum(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    return SqlToken{SqlToken::Kind::kNumber, text_.substr(start, pos_ - start), start, false};
  }
  ++pos_;
  return SqlToken{SqlToken::Kind::kPunct, text_.substr(start, 1), start, false};
}

}  // namespace dbvault::grammar
