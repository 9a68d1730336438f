#include "storage/columns/comparison_rewrite.h"

#include <algorithm>
#include <map>
#include <optional>

#include "storage/columns/sql_tokens.h"
#include "storage/sql_words.h"

namespace dbvault::storage::columns {
namespace {

bool is_name(const Token& t) { return t.kind == Kind::kWord || t.kind == Kind::kQuoted; }

// Words that follow a table name without being its alias.
bool clause_word(const Token& t) {
  if (t.kind != Kind::kWord) return false;
  for (std::string_view w :
       {"WHERE",  "JOIN",    "ON",        "LEFT",      "RIGHT", "FULL",    "INNER",
        "OUTER",  "CROSS",   "NATURAL",   "USING",     "GROUP", "ORDER",   "LIMIT",
        "WINDOW", "UNION",   "EXCEPT",    "INTERSECT", "SET",   "INDEXED", "NOT",
        "VALUES", "DEFAULT", "RETURNING", "HAVING",    "AS",    "SELECT",  "FROM"}) {
    if (t.text == w) return true;
  }
  return false;
}

class ComparisonRewriter {
 public:
  ComparisonRewriter(std::string_view sql, std::vector<Token> t,
                     const std::vector<ComparedColumn>& columns)
      : sql_(sql), t_(std::move(t)), columns_(columns) {}

  std::string run() {
    find_aliases();
    for (std::size_t i = first_rewritten(); i < t_.size(); ++i) {
      const ComparedColumn* c = column_at(i);
      if (c == nullptr) continue;
      seal_after(i, *c);
      seal_before(i, *c);
    }
    return apply_edits(sql_, edits_);
  }

 private:
  bool punct(std::size_t i, char p) const {
    return i < t_.size() && t_[i].kind == Kind::kPunct && t_[i].text[0] == p;
  }
  // An UPDATE's SET list is the write rewrite's: start at its top-level WHERE.
  std::size_t first_rewritten() const {
    if (t_.empty() || t_[0].kind != Kind::kWord || t_[0].text != "UPDATE") return 0;
    int depth = 0;
    for (std::size_t i = 0; i < t_.size(); ++i) {
      if (punct(i, '(')) ++depth;
      if (punct(i, ')')) --depth;
      if (depth == 0 && t_[i].kind == Kind::kWord && t_[i].text == "WHERE") return i;
    }
    return t_.size();
  }
  void find_aliases() {
    for (std::size_t i = 0; i + 1 < t_.size(); ++i) {
      if (!is_name(t_[i])) continue;
      const std::string table = fold_ascii(t_[i].text);
      const bool known = std::any_of(columns_.begin(), columns_.end(),
                                     [&](const ComparedColumn& c) { return c.table == table; });
      if (!known) continue;
      std::size_t a = i + 1;
      if (t_[a].kind == Kind::kWord && t_[a].text == "AS") ++a;
      if (a < t_.size() && is_name(t_[a]) && !clause_word(t_[a])) {
        aliases_.emplace(fold_ascii(t_[a].text), table);
      }
    }
  }
  // The DETERMINISTIC column named at token i (qualified or not), if exactly one fits.
  const ComparedColumn* column_at(std::size_t i) const {
    if (!is_name(t_[i]) || punct(i + 1, '(') || punct(i + 1, '.')) return nullptr;
    const std::string name = fold_ascii(t_[i].text);
    std::optional<std::string> qualifier;
    if (i >= 2 && punct(i - 1, '.') && is_name(t_[i - 2])) {
      qualifier = fold_ascii(t_[i - 2].text);
      if (auto it = aliases_.find(*qualifier); it != aliases_.end()) qualifier = it->second;
    }
    const ComparedColumn* found = nullptr;
    for (const auto& c : columns_) {
      if (c.column.column != name || (qualifier && *qualifier != c.table)) continue;
      if (found != nullptr) return nullptr;  // ambiguous: left alone (and refused later)
      found = &c;
    }
    return found;
  }
  // The end of one literal or parameter starting at i ([sign] number/parameter), or nullopt.
  std::optional<std::size_t> value_end(std::size_t i) const {
    std::size_t j = i;
    if (punct(j, '+') || punct(j, '-')) ++j;
    if (j >= t_.size()) return std::nullopt;
    const Token& v = t_[j];
    const bool number = v.kind == Kind::kNumber || v.kind == Kind::kParam;
    if (j != i && !number) return std::nullopt;
    if (number || v.kind == Kind::kString || v.kind == Kind::kBlob ||
        (v.kind == Kind::kWord && (v.text == "TRUE" || v.text == "FALSE"))) {
      return j + 1;
    }
    return std::nullopt;
  }
  // The end of an equality operator starting at i: = == <> !=
  std::optional<std::size_t> equality_end(std::size_t i) const {
    if (punct(i, '=')) return punct(i + 1, '=') ? i + 2 : i + 1;
    if ((punct(i, '<') && punct(i + 1, '>')) || (punct(i, '!') && punct(i + 1, '='))) return i + 2;
    return std::nullopt;
  }
  void wrap(std::size_t from, std::size_t to, const ComparedColumn& c) {
    edits_.push_back(
        {t_[from].offset, "dbvault_seal('" + c.column.table + "', '" + c.column.column + "', "});
    edits_.push_back({t_[to - 1].offset + t_[to - 1].size, ", NULL)"});
  }
  void seal_after(std::size_t i, const ComparedColumn& c) {
    if (auto op = equality_end(i + 1)) {
      if (auto v = value_end(*op)) wrap(*op, *v, c);
      return;
    }
    std::size_t j = i + 1;
    if (j < t_.size() && t_[j].kind == Kind::kWord && t_[j].text == "NOT") ++j;
    if (j >= t_.size() || t_[j].kind != Kind::kWord || t_[j].text != "IN" || !punct(j + 1, '(')) {
      return;
    }
    std::vector<std::pair<std::size_t, std::size_t>> values;
    for (std::size_t k = j + 2;;) {
      auto v = value_end(k);
      if (!v) return;  // not a list of literals: nothing sealed
      values.push_back({k, *v});
      if (punct(*v, ')')) break;
      if (!punct(*v, ',')) return;
      k = *v + 1;
    }
    for (const auto& [from, to] : values) wrap(from, to, c);
  }
  void seal_before(std::size_t i, const ComparedColumn& c) {
    std::size_t start = i;  // the first token of the (qualified) name
    while (start >= 2 && punct(start - 1, '.') && is_name(t_[start - 2])) start -= 2;
    for (std::size_t op = start >= 2 ? start - 2 : 0; op + 2 >= start && op < start; ++op) {
      if (equality_end(op) != start || op == 0) continue;
      const std::size_t v = op - 1;
      if (value_end(v) == op && !(v > 0 && (punct(v - 1, '-') || punct(v - 1, '+')))) {
        wrap(v, op, c);
      }
      return;
    }
  }
  std::string_view sql_;
  std::vector<Token> t_;
  const std::vector<ComparedColumn>& columns_;
  std::map<std::string, std::string> aliases_;  // alias -> table, folded
  Edits edits_;
};

}  // namespace

Result<std::string> seal_comparisons(std::string_view sql,
                                     const std::vector<ComparedColumn>& columns) {
  if (columns.empty()) return std::string(sql);
  auto tokens = tokenize(sql);
  if (!tokens) return std::move(tokens).error();
  return ComparisonRewriter(sql, std::move(*tokens), columns).run();
}

}  // namespace dbvault::storage::columns
