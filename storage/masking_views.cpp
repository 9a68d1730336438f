// MaskViews::sync: the TEMP views through which a masked session reads a masked table
// (storage/masking.h).
#include <algorithm>
#include <map>
#include <set>

#include "grammar/printer.h"
#include "storage/compile.h"
#include "storage/masking.h"

namespace dbvault::storage {
namespace {

using Columns = std::map<std::string, ast::MaskingMode>;  // folded column -> mode

// The one row `sql` selects (column 0), or "" when none.
Result<std::string> one_text(sqlite3* db, Authorizer& auth, const std::string& sql) {
  auto rows = query_column(db, auth, sql, 0);
  if (!rows) return std::move(rows).error();
  return rows->empty() ? std::string() : rows->front();
}

// Where a permanent table named `table` lives (main first, then the tablespaces), with its
// name as declared; nullopt when there is none.
Result<std::optional<std::pair<std::string, std::string>>> locate(sqlite3* db, Authorizer& auth,
                                                                  std::string_view table) {
  auto schemas = query_column(db, auth, "PRAGMA database_list", 1);
  if (!schemas) return std::move(schemas).error();
  for (const auto& schema : *schemas) {
    if (schema == "temp") continue;
    auto name = one_text(db, auth,
                         "SELECT name FROM " + quote_ident(schema) +
                             ".sqlite_schema WHERE type = 'table' AND name = " +
                             grammar::quote_literal(table) + " COLLATE NOCASE");
    if (!name) return std::move(name).error();
    if (!name->empty()) return std::optional(std::pair(schema, *name));
  }
  return std::optional<std::pair<std::string, std::string>>();
}

Result<std::string> temp_sql(sqlite3* db, Authorizer& auth, std::string_view name) {
  return one_text(db, auth,
                  "SELECT COALESCE(sql, '') FROM temp.sqlite_schema WHERE name = " +
                      grammar::quote_literal(name) + " COLLATE NOCASE");
}

// How SQLite stores "CREATE TEMP VIEW name AS body": without TEMP.
std::string stored_form(std::string_view name, const std::string& body) {
  return "CREATE VIEW " + quote_ident(name) + " AS " + body;
}

// Creates the TEMP view `name` AS `body` unless it exists with exactly that definition
// (SQLite stores "CREATE VIEW ..." without TEMP).
Status ensure_view(sqlite3* db, Authorizer& auth, std::string_view name, const std::string& body) {
  const std::string tail = quote_ident(name) + " AS " + body;
  auto stored = temp_sql(db, auth, name);
  if (!stored) return std::move(stored).error();
  if (*stored == stored_form(name, body)) return ok_status();
  if (!stored->empty()) {
    DBV_RETURN_IF_ERROR(exec_internal(db, auth, "DROP VIEW temp." + quote_ident(name)));
  }
  return exec_internal(db, auth, "CREATE TEMP VIEW " + tail);
}

std::string shadow_body(std::string_view table) {
  return "SELECT * FROM temp." + quote_ident(mask_view_name(table));
}

// Drops the views of `table` (folded), the shadow `shadow` only while it is still ours.
Status drop_views(sqlite3* db, Authorizer& auth, const std::string& table,
                  const std::string& shadow) {
  auto stored = temp_sql(db, auth, shadow);
  if (!stored) return std::move(stored).error();
  if (*stored == stored_form(shadow, shadow_body(table))) {
    DBV_RETURN_IF_ERROR(exec_internal(db, auth, "DROP VIEW temp." + quote_ident(shadow)));
  }
  return exec_internal(db, auth, "DROP VIEW IF EXISTS temp." + quote_ident(mask_view_name(table)));
}

// The mask view's body: every column of the table, the masked ones through dbvault_mask().
Result<std::string> mask_body(sqlite3* db, Authorizer& auth, const std::string& schema,
                              const std::string& table, const Columns& masked) {
  auto cols = table_columns(db, auth, schema, table, true);
  if (!cols) return std::move(cols).error();
  // A generated column may be computed from a masked one (upper(ssn)): it is masked too, with
  // the table's strictest mask.
  auto generated =
      query_column(db, auth,
                   "SELECT name FROM pragma_table_xinfo(" + grammar::quote_literal(table) + ", " +
                       grammar::quote_literal(schema) + ") WHERE hidden IN (2, 3)",
                   0);
  if (!generated) return std::move(generated).error();
  ast::MaskingMode strictest = masked.begin()->second;
  for (const auto& [column, mode] : masked) strictest = vault::stricter(strictest, mode);
  std::string select;
  for (const auto& c : *cols) {
    if (!select.empty()) select += ", ";
    const auto m = masked.find(vault::fold_name(c));
    const bool derived = std::find(generated->begin(), generated->end(), c) != generated->end();
    if (m == masked.end() && !derived) {
      select += quote_ident(c);
      continue;
    }
    const ast::MaskingMode mode = m != masked.end() ? m->second : strictest;
    select += "dbvault_mask(" +
              grammar::quote_literal(std::string(vault::masking_mode_name(mode))) + ", " +
              quote_ident(c) + ") AS " + quote_ident(c);
  }
  // An index on a masked column orders its rows by the hidden values: the view never reads
  // one (check_index_order refuses every other plan that does).
  std::set<std::string> names;
  for (const auto& [column, mode] : masked) names.insert(column);
  auto ordered = masked_indexes(db, auth, schema, table, names);
  if (!ordered) return std::move(ordered).error();
  return "SELECT " + select + " FROM " + quote_ident(schema) + "." + quote_ident(table) +
         (ordered->empty() ? "" : " NOT INDEXED");
}

}  // namespace

Result<bool> MaskViews::current(sqlite3* db, Authorizer& auth, const std::string& table,
                                const Made& m) const {
  if (m.shadow.empty()) return false;  // a TEMP object held the name: it may be gone now
  auto mask = temp_sql(db, auth, mask_view_name(table));
  if (!mask) return std::move(mask).error();
  auto shadow = temp_sql(db, auth, m.shadow);
  if (!shadow) return std::move(shadow).error();
  return *mask == m.mask_sql && *shadow == m.shadow_sql;
}

Status MaskViews::make_views(sqlite3* db, Authorizer& auth, const std::string& table,
                             const Columns& columns) {
  auto where = locate(db, auth, table);
  if (!where) return std::move(where).error();
  if (!*where) {
    if (auto m = made_.find(table); m != made_.end()) {
      DBV_RETURN_IF_ERROR(drop_views(db, auth, table, m->second.shadow));
      made_.erase(m);
    }
    return ok_status();
  }
  const auto& [schema, name] = **where;
  auto body = mask_body(db, auth, schema, name, columns);
  if (!body) return std::move(body).error();
  Made m{columns, "", stored_form(mask_view_name(table), *body), ""};
  DBV_RETURN_IF_ERROR(ensure_view(db, auth, mask_view_name(table), *body));
  auto stored = temp_sql(db, auth, name);
  if (!stored) return std::move(stored).error();
  const std::string shadow = stored_form(name, shadow_body(table));
  if (stored->empty() || *stored == shadow) {
    DBV_RETURN_IF_ERROR(ensure_view(db, auth, name, shadow_body(table)));
    m.shadow = name;
    m.shadow_sql = shadow;
  }  // else a TEMP object of the session's holds the name: main.t is refused to it
  made_[table] = std::move(m);
  return ok_status();
}

bool MaskViews::made(std::string_view schema, std::string_view table) const {
  if (schema != "temp") return false;
  const std::string t = vault::fold_name(table);
  if (t.starts_with(kMaskPrefix)) return true;
  const auto m = made_.find(t);
  return m != made_.end() && !m->second.shadow.empty();
}

Status MaskViews::sync(sqlite3* db, Authorizer& auth, const std::vector<vault::ColumnMask>& masks) {
  if (masks.empty() && made_.empty()) return ok_status();
  std::map<std::string, Columns> wanted;
  for (const auto& m : masks) wanted[m.table][m.column] = m.mode;
  for (auto it = made_.begin(); it != made_.end();) {
    if (wanted.contains(it->first)) {
      ++it;
      continue;
    }
    DBV_RETURN_IF_ERROR(drop_views(db, auth, it->first, it->second.shadow));
    it = made_.erase(it);
  }
  for (const auto& [table, columns] : wanted) {
    // Up to date (the common case): two reads of the TEMP schema only. Reading main's schema
    // as well would open a read snapshot in a transaction that has not touched main yet.
    auto known = made_.find(table);
    if (known != made_.end() && known->second.columns == columns) {
      auto up = current(db, auth, table, known->second);
      if (!up) return std::move(up).error();
      if (*up) continue;
    }
    DBV_RETURN_IF_ERROR(make_views(db, auth, table, columns));
  }
  return ok_status();
}

}  // namespace dbvault::storage
