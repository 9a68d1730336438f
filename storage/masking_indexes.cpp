// masked_indexes() and check_index_order() (storage/masking.h): an index whose order or
// membership follows a masked column is an oracle for its values.
#include <algorithm>
#include <map>

#include "common/sqlstate.h"
#include "grammar/printer.h"
#include "storage/compile.h"
#include "storage/index_reads.h"
#include "storage/masking.h"
#include "storage/sql_words.h"

namespace dbvault::storage {
namespace {

bool is_mask_context(std::string_view context) {
  return fold_ascii(context).starts_with(kMaskPrefix);
}

// True if `name` is a trigger of main or temp (a body whose plan EXPLAIN QUERY PLAN of the
// statement that fires it does not show).
Result<bool> is_trigger(sqlite3* db, Authorizer& auth, const std::string& name) {
  const std::string where =
      ".sqlite_schema WHERE type = 'trigger' AND name = " + grammar::quote_literal(name) +
      " COLLATE NOCASE";
  auto found = query_column(
      db, auth, "SELECT name FROM main" + where + " UNION ALL SELECT name FROM temp" + where, 0);
  if (!found) return std::move(found).error();
  return !found->empty();
}

Error order_refusal(const std::string& index, const std::string& table, std::string why) {
  return make_error(sqlstate::kInsufficientPrivilege,
                    std::move(why) + " index " + index + " of " + table +
                        ", whose order or rows follow a column masked for this session: they "
                        "would tell its values (name the table unqualified, whose mask view "
                        "reads no such index, or add NOT INDEXED)");
}

}  // namespace

Result<std::vector<std::string>> masked_indexes(sqlite3* db, Authorizer& auth,
                                                const std::string& schema, const std::string& table,
                                                const std::set<std::string>& columns) {
  const std::string s = grammar::quote_literal(schema);
  auto rows = query_column(db, auth,
                           "SELECT il.name || char(1) || ii.cid || char(1) || COALESCE(ii.name, "
                           "'') FROM pragma_index_list(" +
                               grammar::quote_literal(table) + ", " + s +
                               ") il, pragma_index_xinfo(il.name, " + s + ") ii WHERE ii.key = 1",
                           0);
  if (!rows) return std::move(rows).error();
  std::vector<std::string> out;
  for (const auto& row : *rows) {
    const auto a = row.find('\1');
    const auto b = row.find('\1', a + 1);
    std::string index = row.substr(0, a);
    // An expression may read a masked column: counted as masked (fail closed) rather than
    // parsed. (A partial index is not: the planner uses one only for a WHERE implying its own,
    // which then reads the column and is refused, and count(*) ignores INDEXED BY.)
    const bool masked =
        row.substr(a + 1, b - a - 1) == "-2" || columns.contains(fold_ascii(row.substr(b + 1)));
    if (masked && std::find(out.begin(), out.end(), index) == out.end()) {
      out.push_back(std::move(index));
    }
  }
  return out;
}

Status check_index_order(const MaskCheck& check, const StatementFacts& facts,
                         const std::set<std::pair<std::string, std::string>>& masked) {
  if (masked.empty() || check.db == nullptr || check.auth == nullptr) return ok_status();
  // EXPLAIN shows a plan and reads no row.
  if (check.stmt != nullptr && sqlite3_stmt_isexplain(check.stmt) > 0) return ok_status();
  std::map<std::string, std::set<std::string>> by_table;  // folded table -> masked columns
  for (const auto& [table, column] : masked) by_table[table].insert(column);
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> indexes;
  for (const auto& a : facts.accesses) {
    if (a.schema.empty() || a.schema == "temp") continue;
    const auto cols = by_table.find(fold_ascii(a.table));
    if (cols == by_table.end()) continue;
    const auto key = std::pair(a.schema, a.table);
    auto it = indexes.find(key);
    if (it == indexes.end()) {
      auto found = masked_indexes(check.db, *check.auth, a.schema, a.table, cols->second);
      if (!found) return std::move(found).error();
      it = indexes.emplace(key, std::move(*found)).first;
    }
    if (it->second.empty() || a.context.empty() || is_mask_context(a.context)) continue;
    auto trigger = is_trigger(check.db, *check.auth, a.context);
    if (!trigger) return std::move(trigger).error();
    if (*trigger) {
      return order_refusal(it->second.front(), a.schema + "." + a.table,
                           "trigger " + a.context +
                               " reads a table whose plan cannot be "
                               "checked here; it has");
    }
  }
  const bool any = std::any_of(indexes.begin(), indexes.end(),
                               [](const auto& entry) { return !entry.second.empty(); });
  if (!any) return ok_status();
  const char* text = check.stmt != nullptr ? sqlite3_sql(check.stmt) : nullptr;
  if (text == nullptr) {
    const auto& first = *std::find_if(indexes.begin(), indexes.end(),
                                      [](const auto& entry) { return !entry.second.empty(); });
    return order_refusal(first.second.front(), first.first.first + "." + first.first.second,
                         "the statement's plan cannot be checked for");
  }
  auto plan = query_column(check.db, *check.auth, std::string("EXPLAIN QUERY PLAN ") + text, 3);
  if (!plan) return std::move(plan).error();
  for (const auto& [table, names] : indexes) {
    for (const auto& name : names) {
      if (plan_reads_index(*plan, name)) {
        return order_refusal(name, table.first + "." + table.second, "the statement's plan reads");
      }
    }
  }
  return ok_status();
}

}  // namespace dbvault::storage
