// Utility statements pgbench and schema tools send that SQLite spells differently or lacks:
// TRUNCATE, VACUUM, ANALYZE, DROP of several objects, ALTER TABLE ADD PRIMARY KEY / UNIQUE.
// CREATE TABLE has its own file (create_table.cpp).
#include <algorithm>

#include "server/pgcompat/statement.h"

namespace dbvault::server::pgcompat::detail {

Result<TableName> table_name(const Stmt& s, std::size_t& i) {
  auto is_name = [&](std::size_t j) {
    return j < s.size() &&
           (s.tokens[j].kind == Token::Kind::kWord || s.tokens[j].kind == Token::Kind::kQuoted);
  };
  if (!is_name(i)) return syntax_error(s, i);
  bool qualified = false;
  if (s.punct(i + 1, '.')) {
    const std::string schema = identifier_name(s.tokens[i]);
    if (schema != "public" && schema != "main") {
      return not_supported("schema \"" + schema + "\"", s, i,
                           "the engine has the one schema public");
    }
    qualified = true;
    i += 2;
    if (!is_name(i)) return syntax_error(s, i);
  }
  const Token& t = s.tokens[i++];
  // A qualified name stays qualified (public is the engine's main): unqualified, SQLite
  // would take a TEMP table of the same name first (TRUNCATE main.t emptying temp.t).
  return TableName{(qualified ? "main." : "") + std::string(t.text), identifier_name(t),
                   std::string(t.text), qualified};
}

namespace {

// "a, b, c" of table names starting at i (ONLY and a trailing * are PostgreSQL's inheritance
// markers, meaningless without inheritance).
Result<std::vector<TableName>> name_list(const Stmt& s, std::size_t& i) {
  std::vector<TableName> names;
  for (;;) {
    if (s.word(i, "ONLY")) ++i;
    auto n = table_name(s, i);
    if (!n) return std::move(n).error();
    names.push_back(std::move(*n));
    if (s.punct(i, '*')) ++i;
    if (!s.punct(i, ',')) return names;
    ++i;
  }
}

Result<Translation> truncate(const Stmt& s) {
  std::size_t i = s.word(1, "TABLE") ? 2 : 1;
  auto names = name_list(s, i);
  if (!names) return std::move(names).error();
  if (s.word(i, "RESTART") && s.word(i + 1, "IDENTITY")) {
    return not_supported("TRUNCATE ... RESTART IDENTITY", s, i);
  }
  if (s.word(i, "CONTINUE") && s.word(i + 1, "IDENTITY")) i += 2;
  if (s.word(i, "CASCADE")) return not_supported("TRUNCATE ... CASCADE", s, i);
  if (s.word(i, "RESTRICT")) ++i;
  if (i != s.size()) return syntax_error(s, i);
  Rewritten r{{}, "TRUNCATE TABLE"};
  for (const auto& n : *names) r.statements.push_back("DELETE FROM " + n.sql);
  return Translation{std::move(r)};
}

Result<Translation> drop(const Stmt& s) {
  std::size_t i = 2;
  const std::string kind = s.word(1, "TABLE") ? "TABLE" : s.word(1, "VIEW") ? "VIEW" : "INDEX";
  std::string if_exists;
  if (s.word(i, "CONCURRENTLY")) ++i;
  if (s.word(i, "IF") && s.word(i + 1, "EXISTS")) if_exists = "IF EXISTS ", i += 2;
  auto names = name_list(s, i);
  if (!names) return std::move(names).error();
  if (s.word(i, "CASCADE")) {
    return not_supported("DROP ... CASCADE", s, i, "drop the dependent objects first");
  }
  if (s.word(i, "RESTRICT")) ++i;
  if (i != s.size()) return syntax_error(s, i);
  Rewritten r{{}, "DROP " + kind};
  for (const auto& n : *names) r.statements.push_back("DROP " + kind + " " + if_exists + n.sql);
  return Translation{std::move(r)};
}

// "(a, b)": column names; advances i past the ')'.
Result<std::vector<std::string>> column_list(const Stmt& s, std::size_t& i) {
  if (!s.punct(i, '(')) return syntax_error(s, i);
  std::vector<std::string> cols;
  for (++i;; ++i) {
    if (i >= s.size() ||
        (s.tokens[i].kind != Token::Kind::kWord && s.tokens[i].kind != Token::Kind::kQuoted)) {
      return syntax_error(s, i);
    }
    cols.push_back(identifier_name(s.tokens[i++]));
    if (s.punct(i, ')')) break;
    if (!s.punct(i, ',')) return syntax_error(s, i);
  }
  ++i;
  return cols;
}

std::string index_columns(const std::vector<std::string>& cols) {
  std::vector<std::string> quoted;
  for (const auto& c : cols) quoted.push_back(quote_identifier(c));
  return join(quoted, ", ");
}

// ALTER TABLE t ADD [CONSTRAINT c] PRIMARY KEY (cols) | UNIQUE (cols). SQLite cannot add
// constraints to a table; a unique index over NOT NULL columns enforces exactly what a primary
// key does, so that is what is created, and only when the columns are declared NOT NULL (the
// engine cannot add NOT NULL either). The index is marked so the catalog reports a primary key.
Result<Translation> add_key(const Stmt& s, const CatalogSource& catalog, const TableName& table,
                            std::size_t i) {
  std::string constraint;
  if (s.word(i, "CONSTRAINT")) {
    if (i + 1 >= s.size()) return syntax_error(s, i + 1);
    constraint = identifier_name(s.tokens[i + 1]);
    i += 2;
  }
  const bool primary = s.word(i, "PRIMARY");
  i += primary ? 2 : 1;
  auto cols = column_list(s, i);
  if (!cols) return std::move(cols).error();
  if (i != s.size())
    return not_supported("this ADD " + std::string(primary ? "PRIMARY KEY" : "UNIQUE") + " option",
                         s, i);
  auto defs = catalog.columns(table.name);
  if (!defs) return std::move(defs).error();
  for (const auto& c : *cols) {
    auto it =
        std::find_if(defs->begin(), defs->end(), [&](const ColumnInfo& d) { return d.name == c; });
    if (it == defs->end()) {
      return make_error(sqlstate::kUndefinedColumn,
                        "column \"" + c + "\" of relation \"" + table.name + "\" does not exist");
    }
    if (primary && !it->not_null && it->primary_key_position == 0) {
      Error e = make_error(
          sqlstate::kFeatureNotSupported,
          "ADD PRIMARY KEY on column \"" + c +
              "\", which is not declared NOT NULL, is not supported by the embedded engine");
      e.hint = "declare the column NOT NULL (or the primary key) in CREATE TABLE";
      return e;
    }
  }
  if (primary) {
    auto indexes = catalog.indexes(table.name);
    if (!indexes) return std::move(indexes).error();
    const bool has_pk = std::any_of(indexes->begin(), indexes->end(),
                                    [](const IndexInfo& x) { return x.primary; }) ||
                        std::any_of(defs->begin(), defs->end(),
                                    [](const ColumnInfo& d) { return d.primary_key_position > 0; });
    if (has_pk) {
      return make_error(SqlState("42P16"),
                        "multiple primary keys for table \"" + table.name + "\" are not allowed");
    }
  }
  if (constraint.empty()) {
    constraint = table.name;
    if (!primary)
      for (const auto& c : *cols) constraint += "_" + c;
    constraint += primary ? "_pkey" : "_key";
  }
  // SQLite qualifies the index, not the table of ON (which then resolves in that schema).
  return Translation{
      run_instead("CREATE UNIQUE INDEX " + std::string(table.qualified ? "main." : "") +
                      quote_identifier(constraint) + (primary ? " /* primary key */" : "") +
                      " ON " + table.bare + " (" + index_columns(*cols) + ")",
                  "ALTER TABLE")};
}

std::optional<Result<Translation>> alter_table(const Stmt& s, const CatalogSource& catalog) {
  std::size_t i = 2;
  if (s.word(i, "IF") && s.word(i + 1, "EXISTS"))
    return std::nullopt;  // SQLite: syntax error, explained
  if (s.word(i, "ONLY")) ++i;
  auto table = table_name(s, i);
  if (!table) return Result<Translation>(std::move(table).error());
  if (!s.word(i, "ADD")) return std::nullopt;
  std::size_t k = i + 1;
  if (s.word(k, "CONSTRAINT")) k += 2;
  if ((s.word(k, "PRIMARY") && s.word(k + 1, "KEY")) || s.word(k, "UNIQUE")) {
    return add_key(s, catalog, *table, i + 1);
  }
  if (s.word(k, "FOREIGN") || s.word(k, "CHECK") || s.word(k, "EXCLUDE")) {
    return Result<Translation>(not_supported("ALTER TABLE ... ADD " + std::string(s.tokens[k].text),
                                             s, k, "declare the constraint in CREATE TABLE"));
  }
  return std::nullopt;
}

Result<Translation> analyze(const Stmt& s) {
  std::size_t i = 1;
  if (s.word(i, "VERBOSE")) ++i;
  if (i == s.size()) return Translation{run_instead("ANALYZE", "ANALYZE")};
  auto n = table_name(s, i);
  if (n && i == s.size()) return Translation{run_instead("ANALYZE " + n->sql, "ANALYZE")};
  // Column lists, several tables, options: statistics are only a planner hint.
  return Translation{command_done("ANALYZE")};
}

}  // namespace

std::optional<Result<Translation>> translate_ddl(const Stmt& s, const CatalogSource& catalog) {
  if (s.word(0, "TRUNCATE")) return truncate(s);
  // VACUUM reclaims space and refreshes statistics; the engine needs neither for correctness,
  // and SQLite's VACUUM would rewrite the whole database file under an exclusive lock.
  // VACUUM INTO copies every table to a file: that is the engine's business to refuse (it
  // counts as reading every table, and writes no file near the vault's), so it goes through.
  if (s.word(0, "VACUUM")) {
    for (std::size_t i = 1; i < s.size(); ++i) {
      if (s.word(i, "INTO")) return std::nullopt;
    }
    return Result<Translation>(Translation{command_done("VACUUM")});
  }
  if (s.word(0, "ANALYZE") || s.word(0, "ANALYSE")) return analyze(s);
  if (s.word(0, "DROP") && (s.word(1, "TABLE") || s.word(1, "VIEW") || s.word(1, "INDEX")))
    return drop(s);
  if (s.word(0, "ALTER") && s.word(1, "TABLE")) return alter_table(s, catalog);
  return std::nullopt;
}

}  // namespace dbvault::server::pgcompat::detail
