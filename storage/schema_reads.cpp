#include "storage/schema_reads.h"

#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

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

}  // namespace

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
