#include "storage/schema_reads.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "common/sqlstate.h"
#include "grammar/printer.h"
#include "storage/compile.h"
#include "storage/sql_words.h"

namespace dbvault::storage {
namespace {

struct TableExpressions {
  std::set<std::string> generated;  // folded names
  bool update_evaluates = false;    // CHECK, generated columns, partial/expression indexes
};

// Whether an UPDATE of the table evaluates expressions of its schema besides its generated
// columns: a CHECK constraint, a partial index's WHERE, an expression index.
Result<bool> has_constraint_expressions(sqlite3* db, Authorizer& auth, const std::string& schema,
                                        const std::string& table) {
  const std::string s = quote_ident(schema), name = quote_ident(table);
  // A CHECK anywhere in the table's definition (the word is enough: fail closed).
  auto sql = query_schema_column(db, auth, schema,
                                 "SELECT sql FROM " + s +
                                     ".sqlite_schema WHERE type = 'table' AND name = " +
                                     grammar::quote_literal(table) + " COLLATE NOCASE",
                                 0);
  if (!sql) return std::move(sql).error();
  for (const auto& text : *sql) {
    if (fold_ascii(text).find("check") != std::string::npos) return true;
  }
  // Partial indexes (index_list's `partial`) and expression indexes (an index_xinfo key
  // column with cid -2).
  auto indexes = query_schema(db, auth, schema, "PRAGMA " + s + ".index_list(" + name + ")");
  if (!indexes) return std::move(indexes).error();
  for (const auto& index : **indexes) {
    if (index.size() > 4 && index[4] == "1") return true;  // `partial`
  }
  for (const auto& index : **indexes) {
    if (index.size() < 2) continue;
    auto cids = query_schema_column(
        db, auth, schema, "PRAGMA " + s + ".index_xinfo(" + quote_ident(index[1]) + ")", 1);
    if (!cids) return std::move(cids).error();
    for (const auto& c : *cids) {
      if (c == "-2") return true;
    }
  }
  return false;
}

Result<TableExpressions> expressions_of(sqlite3* db, Authorizer& auth, const std::string& schema,
                                        const std::string& table, bool update) {
  TableExpressions t;
  // table_xinfo's `hidden` (column 6): 2 a VIRTUAL generated column, 3 a STORED one. The
  // PRAGMA itself, not the pragma_table_xinfo() function: no virtual table to set up.
  auto columns =
      query_schema(db, auth, schema,
                   "PRAGMA " + quote_ident(schema) + ".table_xinfo(" + quote_ident(table) + ")");
  if (!columns) return std::move(columns).error();
  for (const auto& c : **columns) {
    if (c.size() > 6 && (c[6] == "2" || c[6] == "3")) t.generated.insert(fold_ascii(c[1]));
  }
  if (update && t.generated.empty()) {
    auto constraints = has_constraint_expressions(db, auth, schema, table);
    if (!constraints) return std::move(constraints).error();
    t.update_evaluates = *constraints;
  }
  t.update_evaluates = t.update_evaluates || !t.generated.empty();
  return t;
}

bool reads_in(const StatementFacts& f, const std::string& context) {
  return std::any_of(f.accesses.begin(), f.accesses.end(), [&](const EngineAccess& a) {
    return a.command == ast::Command::kSelect && fold_ascii(a.context) == context;
  });
}

// The tables whose pages the top-level program of `sql` opens for reading: (schema, table).
Result<std::set<std::pair<std::string, std::string>>> opened_for_read(sqlite3* db, Authorizer& auth,
                                                                      std::string_view sql) {
  auto seqs = query_column(db, auth, "PRAGMA database_list", 0);
  if (!seqs) return std::move(seqs).error();
  auto names = query_column(db, auth, "PRAGMA database_list", 1);
  if (!names) return std::move(names).error();
  std::map<std::string, std::string> by_index;  // seq -> schema name
  for (std::size_t i = 0; i < seqs->size() && i < names->size(); ++i) {
    by_index[(*seqs)[i]] = (*names)[i];
  }
  const std::string explain = "EXPLAIN " + std::string(sql);
  auto opcodes = query_column(db, auth, explain, 1);
  if (!opcodes) return std::move(opcodes).error();
  auto roots = query_column(db, auth, explain, 3);
  if (!roots) return std::move(roots).error();
  auto dbs = query_column(db, auth, explain, 4);
  if (!dbs) return std::move(dbs).error();
  std::set<std::pair<std::string, std::string>> out;
  for (std::size_t i = 0; i < opcodes->size() && i < roots->size() && i < dbs->size(); ++i) {
    if ((*opcodes)[i] != "OpenRead") continue;
    auto schema = by_index.find((*dbs)[i]);
    const auto& root = (*roots)[i];
    const bool number = !root.empty() && std::all_of(root.begin(), root.end(),
                                                     [](char c) { return c >= '0' && c <= '9'; });
    if (schema == by_index.end() || !number) {
      return make_error(sqlstate::kInsufficientPrivilege,
                        "the statement reads a table the engine cannot name; refused");
    }
    auto tables = query_column(db, auth,
                               "SELECT tbl_name FROM " + quote_ident(schema->second) +
                                   ".sqlite_schema WHERE rootpage = " + root,
                               0);
    if (!tables) return std::move(tables).error();
    if (tables->empty()) {
      return make_error(sqlstate::kInsufficientPrivilege,
                        "the statement reads a table the engine cannot name; refused");
    }
    out.insert({schema->second, tables->front()});
  }
  return out;
}

// Whether trigger `name`'s text (in any schema) has `SELECT *` or `SELECT ALL *` once comments
// and white space are gone: what a transfer inside its body needs. Its program cannot be
// listed; a false positive (a `SELECT *` with a WHERE) is refused too (fail closed).
Result<bool> trigger_may_copy(sqlite3* db, Authorizer& auth, const std::string& name) {
  auto schemas = query_column(db, auth, "PRAGMA database_list", 1);
  if (!schemas) return std::move(schemas).error();
  for (const auto& schema : *schemas) {
    auto texts = query_column(db, auth,
                              "SELECT sql FROM " + quote_ident(schema) +
                                  ".sqlite_schema WHERE type = 'trigger' AND name = " +
                                  grammar::quote_literal(name) + " COLLATE NOCASE",
                              0);
    if (!texts) return std::move(texts).error();
    for (const auto& text : *texts) {
      const std::string folded = fold_ascii(text);
      std::string squeezed;
      for (std::size_t i = 0; i < folded.size(); ++i) {
        if (folded.compare(i, 2, "--") == 0) {
          i = folded.find('\n', i);
          if (i == std::string::npos) break;
        } else if (folded.compare(i, 2, "/*") == 0) {
          i = folded.find("*/", i + 2);
          if (i == std::string::npos) break;
          ++i;
        } else if (!std::isspace(static_cast<unsigned char>(folded[i]))) {
          squeezed += folded[i];
        }
      }
      if (squeezed.find("select*") != std::string::npos ||
          squeezed.find("selectall*") != std::string::npos) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

Status add_transfer_reads(sqlite3* db, Authorizer& auth, std::string_view sql, StatementFacts& f) {
  std::set<std::string> inserting;  // contexts ("" = the statement) that INSERT
  for (const auto& a : f.accesses) {
    if (a.command == ast::Command::kInsert) inserting.insert(fold_ascii(a.context));
  }
  for (const auto& context : inserting) {
    if (!context.empty()) {
      auto copies = trigger_may_copy(db, auth, context);
      if (!copies) return std::move(copies).error();
      if (!*copies) continue;
      return make_error(sqlstate::kInsufficientPrivilege,
                        "trigger " + context +
                            " has an INSERT ... SELECT * (a raw copy SQLite does not report as a "
                            "read); name the columns (SELECT a, b FROM u) so that the vault can "
                            "check the read");
    }
    if (reads_in(f, context)) continue;  // the copy's path reports its reads
    if (fold_ascii(sql).find("select") == std::string::npos) continue;  // VALUES: no copy
    auto tables = opened_for_read(db, auth, sql);
    if (!tables) return std::move(tables).error();
    for (const auto& [schema, table] : *tables) {
      f.add({ast::Command::kSelect, schema, table, "", ""});
      auto columns = table_columns(db, auth, schema, table, true);
      if (!columns) return std::move(columns).error();
      for (const auto& c : *columns) f.add({ast::Command::kSelect, schema, table, c, ""});
    }
  }
  return ok_status();
}

Status add_schema_reads(sqlite3* db, Authorizer& auth, StatementFacts& f) {
  std::map<std::tuple<std::string, std::string, bool>, TableExpressions> tables;
  auto of = [&](const EngineAccess& a, bool update) -> Result<const TableExpressions*> {
    const auto key = std::make_tuple(fold_ascii(a.schema), fold_ascii(a.table), update);
    auto it = tables.find(key);
    if (it == tables.end()) {
      auto t = expressions_of(db, auth, a.schema, a.table, update);
      if (!t) return std::move(t).error();
      it = tables.emplace(key, std::move(*t)).first;
    }
    return &it->second;
  };
  const std::vector<EngineAccess> reported = f.accesses;  // f.add appends to f.accesses
  for (const auto& a : reported) {
    if (a.schema.empty() || a.table.empty()) continue;  // not a table (placed already)
    const bool generated_read = a.command == ast::Command::kSelect && !a.column.empty();
    const bool update = a.command == ast::Command::kUpdate && a.column.empty();
    if (!generated_read && !update) continue;
    auto t = of(a, update);
    if (!t) return std::move(t).error();
    if (generated_read && !(*t)->generated.contains(fold_ascii(a.column))) continue;
    if (update && !(*t)->update_evaluates) continue;
    auto columns = table_columns(db, auth, a.schema, a.table, true);
    if (!columns) return std::move(columns).error();
    for (const auto& c : *columns) {
      EngineAccess read{ast::Command::kSelect, a.schema, a.table, c, a.context};
      read.implied = update;
      f.add(std::move(read));
    }
  }
  return ok_status();
}

}  // namespace dbvault::storage
