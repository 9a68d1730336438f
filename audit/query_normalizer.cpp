#include "audit/query_normalizer.h"

#include <cctype>

namespace dbvault::audit {
namespace {

bool is_ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

class Stripper {
 public:
  explicit Stripper(std::string_view sql) : s_(sql) {}

  std::string run() {
    while (i_ < s_.size()) step();
    while (!out_.empty() && out_.back() == ' ') out_.pop_back();
    return std::move(out_);
  }

 private:
  void step() {
    const char c = s_[i_];
    if (std::isspace(static_cast<unsigned char>(c))) return space();
    if (c == '-' && peek(1) == '-') return line_comment();
    if (c == '/' && peek(1) == '*') return block_comment();
    if (c == '\'') return quoted_literal();
    if (c == '"') return quoted_identifier();
    if (c == '$' && dollar_quote()) return;
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && std::isdigit(static_cast<unsigned char>(peek(1))))) {
      return number();
    }
    if (is_ident_char(c)) return word();
    out_ += c;
    ++i_;
  }

  char peek(std::size_t ahead) const {
    return i_ + ahead < s_.size() ? s_[i_ + ahead] : '\0';
  }

  void space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    if (!out_.empty() && out_.back() != ' ') out_ += ' ';
  }
  void line_comment() {
    while (i_ < s_.size() && s_[i_] != '\n') ++i_;
    if (!out_.empty() && out_.back() != ' ') out_ += ' ';
  }
  void block_comment() {
    int depth = 0;
    while (i_ < s_.size()) {
      if (s_[i_] == '/' && peek(1) == '*') {
        ++depth;
        i_ += 2;
      } else if (s_[i_] == '*' && peek(1) == '/') {
        i_ += 2;
        if (--depth == 0) break;
      } else {
        ++i_;
      }
    }
    if (!out_.empty() && out_.back() != ' ') out_ += ' ';
  }
  // '...' with '' escapes (and backslash escapes, harmless for plain strings).
  void quoted_literal() {
    ++i_;
    while (i_ < s_.size()) {
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) {
        i_ += 2;
      } else if (s_[i_] == '\'') {
        if (peek(1) == '\'') {
          i_ += 2;
        } else {
          ++i_;
          break;
        }
      } else {
        ++i_;
      }
    }
    out_ += '?';
  }
  void quoted_identifier() {
    const std::size_t start = i_++;
    while (i_ < s_.size()) {
      if (s_[i_] == '"') {
        if (peek(1) == '"') {
          i_ += 2;
          continue;
        }
        ++i_;
        break;
      }
      ++i_;
    }
    out_.append(s_.substr(start, i_ - start));
  }
  // $tag$ ... $tag$. False (nothing consumed) when this '$' does not open one ($1 parameter).
  bool dollar_quote() {
    std::size_t j = i_ + 1;
    while (j < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[j])) || s_[j] == '_')) {
      if (j == i_ + 1 && std::isdigit(static_cast<unsigned char>(s_[j]))) return false;
      ++j;
    }
    if (j >= s_.size() || s_[j] != '$') return false;
    const std::string_view tag = s_.substr(i_, j - i_ + 1);
    const std::size_t end = s_.find(tag, j + 1);
    i_ = end == std::string_view::npos ? s_.size() : end + tag.size();
    out_ += '?';
    return true;
  }
  void number() {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_') {
        ++i_;
      } else if ((c == '+' || c == '-') && (s_[i_ - 1] == 'e' || s_[i_ - 1] == 'E')) {
        ++i_;
      } else {
        break;
      }
    }
    out_ += '?';
  }
  void word() {
    const std::size_t start = i_;
    while (i_ < s_.size() && is_ident_char(s_[i_])) ++i_;
    const std::string_view w = s_.substr(start, i_ - start);
    // E'..', B'..', X'..', N'..': a prefixed string literal.
    if (i_ < s_.size() && s_[i_] == '\'' && w.size() == 1 &&
        std::string_view("eEbBxXnN").find(w[0]) != std::string_view::npos) {
      return quoted_literal();
    }
    out_.append(w);
  }

  std::string_view s_;
  std::size_t i_ = 0;
  std::string out_;
};

}  // namespace

std::string strip_literals(std::string_view sql) { return Stripper(sql).run(); }

}  // namespace dbvault::audit
