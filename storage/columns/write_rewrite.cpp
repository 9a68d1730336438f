#include "storage/columns/write_rewrite.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "common/sqlstate.h"
#include "storage/columns/sql_tokens.h"
#include "storage/sql_words.h"

namespace dbvault::storage::columns {
namespace {

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

  std::string_view sql_;
  std::vector<Token> t_;
  const SealedTable& table_;
  std::size_t i_ = 0;
  Edits edits_;
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
  return apply_edits(sql_, edits_);
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
  return apply_edits(sql_, edits_);
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
