#include "storage/columns/write_rewrite.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "common/sqlstate.h"
#include "storage/sql_words.h"

namespace dbvault::storage::columns {
namespace {

enum class Kind { kWord, kQuoted, kString, kBlob, kNumber, kParam, kBareParam, kPunct };

struct Token {
  Kind kind;
  std::size_t offset, size;
  std::string text;  // words upper-cased; quoted identifiers unquoted; others as written
};

bool word_char(unsigned char c) { return std::isalnum(c) || c == '_' || c == '$' || c >= 0x80; }

// Finds the end of a quoted run starting at `i` (the opening quote), doubling `close` escapes.
std::optional<std::size_t> quoted_end(std::string_view s, std::size_t i, char close) {
  for (std::size_t j = i + 1; j < s.size(); ++j) {
    if (s[j] != close) continue;
    if (close != ']' && j + 1 < s.size() && s[j + 1] == close) {
      ++j;
      continue;
    }
    return j + 1;
  }
  return std::nullopt;
}

bool digit_at(std::string_view s, std::size_t i) {
  return i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]));
}

// The end of the number starting at `i`, by SQLite's own rules (tokenize.c), so that the
// rewrite never sees a token boundary SQLite does not: `0xe--x` is the number 0xe and a
// comment to SQLite, not one number `0xe-` and a minus. Digits run into by identifier
// characters (`1abc`), which SQLite rejects, are nullopt.
std::optional<std::size_t> number_end(std::string_view s, std::size_t i) {
  if (s[i] == '0' && i + 2 < s.size() && (s[i + 1] == 'x' || s[i + 1] == 'X') &&
      std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
    std::size_t j = i + 3;
    while (j < s.size() && std::isxdigit(static_cast<unsigned char>(s[j]))) ++j;
    return j;
  }
  std::size_t j = i;
  while (digit_at(s, j)) ++j;
  if (j < s.size() && s[j] == '.') {
    ++j;
    while (digit_at(s, j)) ++j;
  }
  if (j < s.size() && (s[j] == 'e' || s[j] == 'E') &&
      (digit_at(s, j + 1) ||
       (j + 1 < s.size() && (s[j + 1] == '+' || s[j + 1] == '-') && digit_at(s, j + 2)))) {
    j += 2;
    while (digit_at(s, j)) ++j;
  }
  if (j < s.size() && word_char(static_cast<unsigned char>(s[j]))) return std::nullopt;
  return j;
}

// The end of the parameter starting at `i` (`?`, `?NNN`, `:name`, `@name`, `$name`, `#name`),
// by SQLite's rules: a name may go on with `::` and end with a TCL-style `(...)` suffix, up to
// the first `)` with no white space before it (`#p('),` is one token to SQLite, not a `#`
// then the start of a string). nullopt for what SQLite rejects (`$p(` with no `)`).
std::optional<std::size_t> parameter_end(std::string_view s, std::size_t i) {
  std::size_t j = i + 1;
  if (s[i] == '?') {
    while (digit_at(s, j)) ++j;
    return j;
  }
  std::size_t n = 0;
  for (; j < s.size(); ++j) {
    const auto c = static_cast<unsigned char>(s[j]);
    if (word_char(c)) {
      ++n;
    } else if (c == '(' && n > 0) {
      ++j;
      while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j])) && s[j] != ')') ++j;
      if (j >= s.size() || s[j] != ')') return std::nullopt;
      return j + 1;
    } else if (c == ':' && j + 1 < s.size() && s[j + 1] == ':') {
      ++j;
    } else {
      break;
    }
  }
  return n == 0 ? i + 1 : j;
}

std::string unquote(std::string_view q) {
  std::string out;
  const char close = q[0] == '[' ? ']' : q[0];
  for (std::size_t i = 1; i + 1 < q.size(); ++i) {
    out += q[i];
    if (q[i] == close && close != ']') ++i;
  }
  return out;
}

Result<std::vector<Token>> tokenize(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  const auto bad = [] {
    return make_error(sqlstate::kSyntaxError, "unterminated literal, identifier or comment");
  };
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (std::isspace(c)) {
      ++i;
    } else if (s.substr(i, 2) == "--") {
      const auto e = s.find('\n', i);
      i = e == std::string_view::npos ? s.size() : e + 1;
    } else if (s.substr(i, 2) == "/*") {
      const auto e = s.find("*/", i + 2);
      if (e == std::string_view::npos) return bad();
      i = e + 2;
    } else if ((c == 'x' || c == 'X') && i + 1 < s.size() && s[i + 1] == '\'') {
      auto e = quoted_end(s, i + 1, '\'');
      if (!e) return bad();
      out.push_back({Kind::kBlob, i, *e - i, std::string(s.substr(i, *e - i))});
      i = *e;
    } else if (c == '\'' || c == '"' || c == '`' || c == '[') {
      auto e = quoted_end(s, i, c == '[' ? ']' : static_cast<char>(c));
      if (!e) return bad();
      const auto text = s.substr(i, *e - i);
      out.push_back({c == '\'' ? Kind::kString : Kind::kQuoted, i, *e - i,
                     c == '\'' ? std::string(text) : unquote(text)});
      i = *e;
    } else if (std::isdigit(c) || (c == '.' && i + 1 < s.size() && std::isdigit(s[i + 1]))) {
      auto e = number_end(s, i);
      if (!e) return bad();
      out.push_back({Kind::kNumber, i, *e - i, std::string(s.substr(i, *e - i))});
      i = *e;
    } else if (c == '?' || c == ':' || c == '@' || c == '$' || c == '#') {
      auto e = parameter_end(s, i);
      if (!e) return bad();
      const Kind k = *e == i + 1 ? (c == '?' ? Kind::kBareParam : Kind::kPunct) : Kind::kParam;
      out.push_back({k, i, *e - i, std::string(s.substr(i, *e - i))});
      i = *e;
    } else if (word_char(c)) {
      std::size_t j = i;
      while (j < s.size() && word_char(static_cast<unsigned char>(s[j]))) ++j;
      std::string w(s.substr(i, j - i));
      for (auto& ch : w) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      out.push_back({Kind::kWord, i, j - i, std::move(w)});
      i = j;
    } else {
      out.push_back({Kind::kPunct, i, 1, std::string(1, static_cast<char>(c))});
      ++i;
    }
  }
  return out;
}

// Walks the tokens of one statement; the rewrite's edits are collected and applied at the end.
class Rewriter {
 public:
  Rewriter(std::string_view sql, std::vector<Token> tokens, const SealedTable& table)
      : sql_(sql), t_(std::move(tokens)), table_(table) {}

  Result<std::string> run();

 private:
  bool word(std::string_view w) const {
    return i_ < t_.size() && t_[i_].kind == Kind::kWord && t_[i_].text == w;
  }
  bool punct(char p) const {
    return i_ < t_.size() && t_[i_].kind == Kind::kPunct && t_[i_].text[0] == p;
  }
  bool at_end() const { return i_ == t_.size() || (punct(';') && i_ + 1 == t_.size()); }
  std::optional<std::string> name() {  // an identifier (word or quoted), folded
    if (i_ >= t_.size() || (t_[i_].kind != Kind::kWord && t_[i_].kind != Kind::kQuoted)) {
      return std::nullopt;
    }
    return fold_ascii(t_[i_++].text);
  }
  const EncryptedColumn* encrypted(const std::string& column) const {
    for (const auto& e : table_.encrypted)
      if (e.column == column) return &e;
    return nullptr;
  }
  bool has_randomized() const {
    return std::any_of(table_.encrypted.begin(), table_.encrypted.end(),
                       [](const auto& e) { return e.mode == ColumnMode::kRandomized; });
  }
  Error refuse(std::string_view why) const {
    const std::string c = table_.encrypted.empty() ? "" : table_.encrypted.front().column;
    return make_error(sqlstate::kFeatureNotSupported,
                      "encrypted columns of " + table_.vault_name + " (" + c +
                          (table_.encrypted.size() > 1 ? ", ..." : "") +
                          ") are written only by INSERT ... VALUES and UPDATE ... SET with a "
                          "literal or parameter for each encrypted value: " +
                          std::string(why));
  }
  // One simple value: [sign] literal | parameter. Returns its token range [from, i_).
  std::optional<std::pair<std::size_t, std::size_t>> simple_value();
  std::string text(std::size_t from, std::size_t to) const {
    return std::string(
        sql_.substr(t_[from].offset, t_[to - 1].offset + t_[to - 1].size - t_[from].offset));
  }
  void wrap(std::size_t from, std::size_t to, const std::string& column, const std::string& row) {
    edits_.push_back(
        {t_[from].offset, "dbvault_seal('" + table_.vault_name + "', '" + column + "', "});
    edits_.push_back({t_[to - 1].offset + t_[to - 1].size, ", " + row + ")"});
  }
  Status skip_table_name();
  Result<std::string> insert();
  Result<std::string> update();
  std::string apply() const;

  std::string_view sql_;
  std::vector<Token> t_;
  const SealedTable& table_;
  std::size_t i_ = 0;
  std::vector<std::pair<std::size_t, std::string>> edits_;  // (offset, inserted text)
};

std::optional<std::pair<std::size_t, std::size_t>> Rewriter::simple_value() {
  const std::size_t from = i_;
  if (punct('+') || punct('-')) ++i_;
  if (i_ >= t_.size()) return std::nullopt;
  const Token& v = t_[i_];
  const bool literal =
      v.kind == Kind::kNumber || v.kind == Kind::kString || v.kind == Kind::kBlob ||
      v.kind == Kind::kParam ||
      (v.kind == Kind::kWord && (v.text == "NULL" || v.text == "TRUE" || v.text == "FALSE"));
  if (!literal || (from != i_ && v.kind != Kind::kNumber && v.kind != Kind::kParam)) {
    i_ = from;
    return std::nullopt;
  }
  ++i_;
  return std::pair(from, i_);
}

Status Rewriter::skip_table_name() {
  if (!name()) return refuse("the table name is not where it was expected");
  if (punct('.')) {
    ++i_;
    if (!name()) return refuse("the table name is not where it was expected");
  }
  return ok_status();
}

std::string Rewriter::apply() const {
  auto edits = edits_;
  std::stable_sort(edits.begin(), edits.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  std::size_t copied = 0;
  for (const auto& [at, insert] : edits) {
    out.append(sql_.substr(copied, at - copied));
    out.append(insert);
    copied = at;
  }
  out.append(sql_.substr(copied));
  return out;
}

Result<std::string> Rewriter::insert() {
  if (word("REPLACE")) {
    ++i_;
  } else {
    ++i_;  // INSERT
    if (word("OR")) i_ += 2;
  }
  if (!word("INTO")) return refuse("INTO expected");
  ++i_;
  DBV_RETURN_IF_ERROR(skip_table_name());
  if (word("AS")) return refuse("an alias of the table");
  std::vector<std::string> columns = table_.columns;
  if (punct('(')) {
    ++i_;
    columns.clear();
    for (;;) {
      auto c = name();
      if (!c) return refuse("a column list of names expected");
      columns.push_back(*c);
      if (punct(',')) {
        ++i_;
        continue;
      }
      if (!punct(')')) return refuse("a column list of names expected");
      ++i_;
      break;
    }
  }
  if (word("DEFAULT")) {
    i_ += 2;
    if (!at_end()) return refuse("text after DEFAULT VALUES");
    return std::string(sql_);
  }
  if (!word("VALUES")) return refuse("VALUES expected (INSERT ... SELECT is not accepted)");
  ++i_;
  const auto rowid_at = std::find(columns.begin(), columns.end(), table_.rowid_column);
  for (;;) {
    if (!punct('(')) return refuse("a row of values expected");
    ++i_;
    std::vector<std::pair<std::size_t, std::size_t>> values;
    std::size_t depth = 0;
    std::size_t start = i_;
    for (; i_ < t_.size(); ++i_) {  // split the row at top-level commas
      if (punct('(')) ++depth;
      if (punct(')') && depth-- == 0) break;
      if (punct(',') && depth == 0) {
        values.push_back({start, i_});
        start = i_ + 1;
      }
    }
    if (i_ >= t_.size() || start == i_) return refuse("a row of values expected");
    values.push_back({start, i_});
    ++i_;  // ')'
    if (values.size() != columns.size()) return refuse("a row with as many values as columns");
    std::string row = "NULL";
    if (rowid_at != columns.end() && !table_.rowid_column.empty() && has_randomized()) {
      // Evaluated twice (once as the key, once for the seal): only a simple value is certain
      // to give the same row both times.
      const auto [from, to] = values[static_cast<std::size_t>(rowid_at - columns.begin())];
      const std::size_t end = i_;
      i_ = from;
      auto v = simple_value();
      const bool whole = v && i_ == to;
      i_ = end;
      if (!whole) return refuse("the value for " + table_.rowid_column + " is an expression");
      row = "CAST(" + text(from, to) + " AS INTEGER)";
    }
    for (std::size_t k = 0; k < columns.size(); ++k) {
      const EncryptedColumn* e = encrypted(columns[k]);
      if (e == nullptr) continue;
      const std::size_t end = i_;
      i_ = values[k].first;
      auto v = simple_value();
      const bool whole = v && i_ == values[k].second;
      i_ = end;
      if (!whole) return refuse("the value for " + columns[k] + " is an expression");
      wrap(v->first, v->second, columns[k], e->mode == ColumnMode::kRandomized ? row : "NULL");
    }
    if (!punct(',')) break;
    ++i_;
  }
  if (!at_end()) return refuse("text after the rows (an upsert, RETURNING)");
  return apply();
}

Result<std::string> Rewriter::update() {
  ++i_;  // UPDATE
  if (word("OR")) i_ += 2;
  DBV_RETURN_IF_ERROR(skip_table_name());
  if (!word("SET")) return refuse("SET expected");
  ++i_;
  const std::string row = "\"" + table_.rowid_column + "\"";
  for (;;) {
    auto c = name();
    if (!c || !punct('=')) return refuse("SET column = value expected (not a row value)");
    ++i_;
    if (*c == table_.rowid_column && has_randomized()) {
      return refuse("it would change " + *c +
                    ", the row identity its RANDOMIZED values are "
                    "bound to");
    }
    const EncryptedColumn* e = encrypted(*c);
    if (e != nullptr) {
      auto v = simple_value();
      if (!v || !(at_end() || punct(',') || word("WHERE"))) {
        return refuse("the value for " + *c + " is an expression");
      }
      wrap(v->first, v->second, *c, e->mode == ColumnMode::kRandomized ? row : "NULL");
    } else {
      std::size_t depth = 0;  // any expression, to the next top-level comma or WHERE
      for (; i_ < t_.size() && !(depth == 0 && (punct(',') || word("WHERE") || word("FROM") ||
                                                word("RETURNING") || at_end()));
           ++i_) {
        if (punct('(')) ++depth;
        if (punct(')')) --depth;
      }
    }
    if (!punct(',')) break;
    ++i_;
  }
  if (word("FROM") || word("RETURNING")) return refuse("UPDATE ... FROM and RETURNING");
  if (!at_end() && !word("WHERE")) return refuse("WHERE expected");
  for (std::size_t k = i_; k < t_.size(); ++k) {  // WHERE: nothing more may write
    if (t_[k].kind == Kind::kWord && t_[k].text == "RETURNING") {
      return refuse("UPDATE ... RETURNING");
    }
  }
  return apply();
}

Result<std::string> Rewriter::run() {
  if (word("INSERT") || word("REPLACE")) return insert();
  if (word("UPDATE")) return update();
  return refuse("this kind of statement");
}

}  // namespace

Result<std::string> seal_writes(std::string_view sql, const SealedTable& table) {
  auto tokens = tokenize(sql);
  if (!tokens) return std::move(tokens).error();
  for (const auto& t : *tokens) {
    if (t.kind == Kind::kBareParam) {
      return make_error(sqlstate::kFeatureNotSupported,
                        "a write to the encrypted columns of " + table.vault_name +
                            " needs numbered parameters ($1 or ?1), not ?");
    }
  }
  Rewriter r(sql, std::move(*tokens), table);
  return r.run();
}

}  // namespace dbvault::storage::columns
