#include "server/pgcompat/create_table.h"

#include <algorithm>

#include "server/pgcompat/rewrite.h"

namespace dbvault::server::pgcompat::detail {
namespace {

// Storage parameters that only tune PostgreSQL's heap and vacuum.
bool harmless_storage_parameter(const std::string& name) {
  return name == "fillfactor" || name == "toast_tuple_target" || name == "parallel_workers" ||
         name.starts_with("autovacuum_") || name.starts_with("toast.") ||
         name == "user_catalog_table";
}

struct Element {
  std::size_t first, last;  // token indexes, inclusive
};

// Top-level elements of the column list that opens at token `open`; `close` is set to the
// index of its ')'.
std::vector<Element> elements(const Stmt& s, std::size_t open, std::size_t& close) {
  std::vector<Element> out;
  int depth = 0;
  std::size_t start = open + 1;
  for (std::size_t i = open; i < s.size(); ++i) {
    if (s.punct(i, '(')) ++depth;
    if (s.punct(i, ')') && --depth == 0) {
      if (i > start) out.push_back({start, i - 1});
      close = i;
      return out;
    }
    if (depth == 1 && s.punct(i, ',')) {
      out.push_back({start, i - 1});
      start = i + 1;
    }
  }
  close = s.size();
  return out;
}

bool is_serial(const Token& t) {
  for (const char* w : {"SERIAL", "SERIAL4", "BIGSERIAL", "SERIAL8", "SMALLSERIAL", "SERIAL2"})
    if (t.is(w)) return true;
  return false;
}

// Token index of "KEY" in "PRIMARY KEY" within the element, if any.
std::optional<std::size_t> primary_key(const Stmt& s, const Element& e) {
  for (std::size_t i = e.first; i < e.last; ++i)
    if (s.word(i, "PRIMARY") && s.word(i + 1, "KEY")) return i + 1;
  return std::nullopt;
}

bool has_not_null(const Stmt& s, const Element& e) {
  for (std::size_t i = e.first; i < e.last; ++i)
    if (s.word(i, "NOT") && s.word(i + 1, "NULL")) return true;
  return false;
}

// The column names of a table constraint "[CONSTRAINT c] PRIMARY KEY (a, b)".
std::vector<std::string> key_columns(const Stmt& s, std::size_t key) {
  std::vector<std::string> cols;
  for (std::size_t i = key + 2; i < s.size() && !s.punct(i, ')'); ++i)
    if (!s.punct(i, ',')) cols.push_back(identifier_name(s.tokens[i]));
  return cols;
}

// DEFAULT <expr> where SQLite wants a literal or a parenthesised expression: now(),
// current_user, 'x'::text are wrapped in parentheses.
void default_edits(const Stmt& s, const Element& e, std::vector<Edit>& edits) {
  static constexpr const char* kEnds[] = {"NOT",        "NULL",    "PRIMARY",
                                          "UNIQUE",     "CHECK",   "REFERENCES",
                                          "CONSTRAINT", "COLLATE", "GENERATED"};
  for (std::size_t i = e.first; i < e.last; ++i) {
    if (!s.word(i, "DEFAULT")) continue;
    std::size_t last = i + 1;
    int depth = 0;
    for (std::size_t j = i + 1; j <= e.last; ++j) {
      if (depth == 0 &&
          std::any_of(std::begin(kEnds), std::end(kEnds),
                      [&](const char* w) { return s.word(j, w); }) &&
          j > i + 1) {
        break;
      }
      if (s.punct(j, '(')) ++depth;
      if (s.punct(j, ')')) --depth;
      last = j;
    }
    const bool literal =
        last == i + 1 && (s.tokens[last].kind == Token::Kind::kString ||
                          s.tokens[last].kind == Token::Kind::kNumber || s.word(last, "NULL"));
    if (literal || s.punct(i + 1, '(')) return;
    edits.push_back({s.tokens[i + 1].offset, 0, "("});
    edits.push_back({s.tokens[last].end(), 0, ")"});
    return;
  }
}

Status column_edits(const Stmt& s, const std::vector<Element>& elems, std::vector<Edit>& edits) {
  std::vector<std::string> table_key;
  for (const auto& e : elems) {
    const bool constraint = s.word(e.first, "CONSTRAINT") || s.word(e.first, "PRIMARY") ||
                            s.word(e.first, "UNIQUE") || s.word(e.first, "CHECK") ||
                            s.word(e.first, "FOREIGN");
    if (s.word(e.first, "LIKE") || s.word(e.first, "EXCLUDE")) {
      return not_supported("CREATE TABLE ... (" + std::string(s.tokens[e.first].text) + " ...)", s,
                           e.first);
    }
    if (constraint) {
      if (auto key = primary_key(s, e); key && s.punct(*key + 1, '('))
        table_key = key_columns(s, *key);
    }
  }
  for (const auto& e : elems) {
    if (e.first == e.last || s.word(e.first, "CONSTRAINT") || s.word(e.first, "PRIMARY") ||
        s.word(e.first, "UNIQUE") || s.word(e.first, "CHECK") || s.word(e.first, "FOREIGN")) {
      continue;
    }
    default_edits(s, e, edits);
    const Token& type = s.tokens[e.first + 1];
    const auto key = primary_key(s, e);
    const bool in_table_key = std::find(table_key.begin(), table_key.end(),
                                        identifier_name(s.tokens[e.first])) != table_key.end();
    if (is_serial(type)) {
      if (!key) {
        return not_supported(
            "a serial column that is not the table's PRIMARY KEY", s, e.first + 1,
            "declare it \"serial PRIMARY KEY\"; the engine generates values only for that column");
      }
      edits.push_back({type.offset, type.text.size(), "INTEGER"});
      edits.push_back({s.tokens[*key].end(), 0, " AUTOINCREMENT"});
    } else if ((key || in_table_key) && !has_not_null(s, e)) {
      edits.push_back({s.tokens[e.last].end(), 0, " NOT NULL"});
    }
  }
  return ok_status();
}

// What follows the column list: storage clauses PostgreSQL has and SQLite does not.
Status trailing_edits(const Stmt& s, std::size_t i, std::vector<Edit>& edits) {
  while (i < s.size()) {
    if (s.word(i, "WITHOUT") && s.word(i + 1, "OIDS")) {
      edits.push_back({s.tokens[i].offset, s.tokens[i + 1].end() - s.tokens[i].offset, ""});
      i += 2;
    } else if (s.word(i, "WITH") && s.punct(i + 1, '(')) {
      std::size_t j = i + 2;
      for (; j < s.size() && !s.punct(j, ')'); ++j) {
        if (s.tokens[j].kind != Token::Kind::kWord) continue;
        std::string name = identifier_name(s.tokens[j]);
        if (s.punct(j + 1, '.') && j + 2 < s.size())
          name += "." + identifier_name(s.tokens[j + 2]), j += 2;
        if (!harmless_storage_parameter(name)) {
          return not_supported("storage parameter \"" + name + "\"", s, j);
        }
        while (j + 1 < s.size() && !s.punct(j + 1, ',') && !s.punct(j + 1, ')')) ++j;  // "= value"
      }
      if (j >= s.size()) return syntax_error(s, j);
      edits.push_back({s.tokens[i].offset, s.tokens[j].end() - s.tokens[i].offset, ""});
      i = j + 1;
    } else if (s.word(i, "WITHOUT") && s.word(i + 1, "ROWID")) {
      i += 2;  // SQLite's own
    } else if (s.word(i, "STRICT") || s.punct(i, ',')) {
      i += 1;
    } else if (s.word(i, "WITH") && s.word(i + 1, "OIDS")) {
      return not_supported("WITH OIDS", s, i);
    } else {
      return not_supported("CREATE TABLE ... " + std::string(s.tokens[i].text), s, i);
    }
  }
  return ok_status();
}

// The edited statement with its expressions rewritten too (defaults, CHECK and partial-index
// predicates may hold casts; "public." qualifiers go).
Result<Translation> rewritten(const std::string& sql, std::string tag) {
  auto tokens = tokenize_strict(sql);
  if (!tokens) return std::move(tokens).error();
  auto r = rewrite_expressions(sql, *tokens);
  if (!r) return std::move(r).error();
  Rewritten out = run_instead(std::move(r->sql), std::move(tag));
  return Translation{std::move(out)};
}

// CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] name ON [ONLY] t [USING btree|hash]
// (...) [WITH (fillfactor=...)] [WHERE ...]: SQLite's indexes are B-trees, built while the
// table is locked; the rest is PostgreSQL's storage detail.
std::optional<Result<Translation>> create_index(const Stmt& s) {
  std::vector<Edit> edits;
  auto drop = [&](std::size_t i, std::size_t n) {
    edits.push_back({s.tokens[i].offset, s.tokens[i + n - 1].end() - s.tokens[i].offset, ""});
  };
  std::size_t i = s.word(1, "UNIQUE") ? 3 : 2;
  if (s.word(i, "CONCURRENTLY")) drop(i++, 1);
  while (i < s.size() && !s.word(i, "ON")) ++i;
  if (s.word(++i, "ONLY")) drop(i++, 1);
  auto table = table_name(s, i);
  if (!table) return Result<Translation>(std::move(table).error());
  if (s.word(i, "USING")) {
    if (!s.word(i + 1, "BTREE") && !s.word(i + 1, "HASH")) {
      return Result<Translation>(not_supported(
          "index method " + identifier_name(s.tokens[std::min(i + 1, s.size() - 1)]), s, i + 1));
    }
    drop(i, 2);
    i += 2;
  }
  std::size_t close = i;
  if (s.punct(i, '(')) {
    for (int depth = 0; close < s.size(); ++close) {
      if (s.punct(close, '(')) ++depth;
      if (s.punct(close, ')') && --depth == 0) break;
    }
  }
  std::size_t j = close + 1;
  if (s.word(j, "INCLUDE")) return Result<Translation>(not_supported("INCLUDE columns", s, j));
  if (s.word(j, "NULLS")) return Result<Translation>(not_supported("NULLS [NOT] DISTINCT", s, j));
  if (s.word(j, "WITH") && s.punct(j + 1, '(')) {
    std::size_t k = j + 2;
    for (; k < s.size() && !s.punct(k, ')'); ++k) {
      if (s.tokens[k].kind == Token::Kind::kWord && !s.punct(k - 1, '=') &&
          !harmless_storage_parameter(identifier_name(s.tokens[k])) &&
          identifier_name(s.tokens[k]) != "deduplicate_items") {
        return Result<Translation>(
            not_supported("storage parameter \"" + identifier_name(s.tokens[k]) + "\"", s, k));
      }
    }
    if (k >= s.size()) return Result<Translation>(syntax_error(s, k));
    drop(j, k - j + 1);
  }
  if (edits.empty()) return std::nullopt;
  return rewritten(apply(s.sql, std::move(edits)), "CREATE INDEX");
}

}  // namespace

std::optional<Result<Translation>> translate_create_table(const Stmt& s) {
  if (!s.word(0, "CREATE")) return std::nullopt;
  if (s.word(1, "INDEX") || (s.word(1, "UNIQUE") && s.word(2, "INDEX"))) return create_index(s);
  std::vector<Edit> edits;
  std::size_t i = 1;
  if (s.word(i, "UNLOGGED"))
    edits.push_back({s.tokens[i].offset, s.tokens[i].text.size() + 1, ""}), ++i;
  if ((s.word(i, "GLOBAL") || s.word(i, "LOCAL")) &&
      (s.word(i + 1, "TEMP") || s.word(i + 1, "TEMPORARY"))) {
    edits.push_back({s.tokens[i].offset, s.tokens[i].text.size() + 1, ""}), ++i;
  }
  if (s.word(i, "TEMP") || s.word(i, "TEMPORARY")) ++i;
  if (!s.word(i, "TABLE")) return std::nullopt;
  ++i;
  if (s.word(i, "IF") && s.word(i + 1, "NOT") && s.word(i + 2, "EXISTS")) i += 3;
  auto name = table_name(s, i);
  if (!name) return Result<Translation>(std::move(name).error());
  if (!s.punct(i, '(')) return std::nullopt;  // CREATE TABLE ... AS: an ordinary query
  std::size_t close = 0;
  const auto elems = elements(s, i, close);
  if (close >= s.size()) return Result<Translation>(syntax_error(s, close));
  if (Status st = column_edits(s, elems, edits); !st.ok())
    return Result<Translation>(std::move(st).error());
  if (Status st = trailing_edits(s, close + 1, edits); !st.ok())
    return Result<Translation>(std::move(st).error());
  return rewritten(apply(s.sql, std::move(edits)), {});
}

}  // namespace dbvault::server::pgcompat::detail
