// stored_layout() and explain_program() (storage/columns/use_check.h): what check_uses() reads
// from the engine — the b-trees holding encrypted columns, and a statement's program.
#include "common/sqlstate.h"
#include "grammar/printer.h"
#include "storage/columns/use_check.h"
#include "storage/compile.h"
#include "storage/sql_words.h"

namespace dbvault::storage::columns {
namespace {

// The rows of an internal query about main's schema (answered from the connection's
// SchemaCache while main's schema is unchanged: an EXPLAIN listing depends on nothing else).
Result<std::shared_ptr<const SchemaCache::Rows>> rows_of(sqlite3* db, Authorizer& auth,
                                                         const std::string& sql) {
  return query_schema(db, auth, "main", sql);
}

Status add_table(sqlite3* db, Authorizer& auth, const EncryptedTable& t, StoredLayout& out) {
  const std::string name = t.table.substr(t.table.find('.') + 1);
  const std::string lit = grammar::quote_literal(name);
  auto find = [&](const std::string& column) -> std::optional<int> {
    for (std::size_t i = 0; i < out.columns.size(); ++i) {
      if (out.columns[i].column.table == t.table && out.columns[i].column.column == column) {
        return static_cast<int>(i);
      }
    }
    return std::nullopt;
  };
  for (const auto& c : t.columns) out.columns.push_back({{t.table, c.column}, c.mode});
  // The table's record: its columns in order, less the virtual generated ones (not stored).
  auto cols = rows_of(db, auth, "SELECT name, hidden FROM pragma_table_xinfo(" + lit + ", 'main')");
  if (!cols) return std::move(cols).error();
  StoredLayout::TriggerTable table;
  table.column_count = static_cast<int>((*cols)->size());
  for (const auto& c : **cols) {
    if (c[1] != "2") table.fields.push_back(find(fold_ascii(c[0])));
  }
  auto btrees =
      rows_of(db, auth,
              "SELECT type, name, rootpage FROM main.sqlite_schema WHERE tbl_name = " + lit +
                  " COLLATE NOCASE AND type IN ('table', 'index', 'trigger')");
  if (!btrees) return std::move(btrees).error();
  for (const auto& b : **btrees) {
    if (b[0] == "trigger") {
      out.triggers[fold_ascii(b[1])] = table;
      continue;
    }
    const int root = std::atoi(b[2].c_str());
    if (b[0] == "table") {
      out.fields_by_root[root] = table.fields;
      continue;
    }
    auto key = rows_of(db, auth,
                       "SELECT cid, name FROM pragma_index_xinfo(" + grammar::quote_literal(b[1]) +
                           ", 'main') ORDER BY seqno");
    if (!key) return std::move(key).error();
    std::vector<std::optional<int>> fields;
    for (const auto& k : **key) {
      // An expression (cid -2) may be computed from an encrypted column: followed as unknown.
      fields.push_back(k[0] == "-2" ? std::optional<int>(-1) : find(fold_ascii(k[1])));
    }
    out.fields_by_root[root] = std::move(fields);
    out.index_roots.insert(root);
  }
  return ok_status();
}

}  // namespace

Result<StoredLayout> stored_layout(sqlite3* db, Authorizer& auth, const ColumnCatalog& catalog) {
  StoredLayout out;
  for (const auto& t : catalog.list()) {
    if (!t.table.starts_with("main.")) continue;
    DBV_RETURN_IF_ERROR(add_table(db, auth, t, out));
  }
  return out;
}

Result<std::vector<ProgramOp>> explain_program(sqlite3* db, Authorizer& auth,
                                               std::string_view sql) {
  // Not cached: the program depends on TEMP objects and attached schemas too.
  auto scope = auth.internal();
  const std::string text = "EXPLAIN " + std::string(sql);
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, text.c_str(), static_cast<int>(text.size()), &raw, nullptr);
  if (rc != SQLITE_OK) return engine_error(db, rc);
  StmtPtr st(raw);
  std::vector<ProgramOp> out;
  const auto str = [&](int c) {
    const auto* t = sqlite3_column_text(st.get(), c);
    return std::string(t != nullptr ? reinterpret_cast<const char*>(t) : "");
  };
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    out.push_back({sqlite3_column_int(st.get(), 0), str(1), sqlite3_column_int(st.get(), 2),
                   sqlite3_column_int(st.get(), 3), sqlite3_column_int(st.get(), 4), str(5),
                   sqlite3_column_int(st.get(), 6)});
  }
  if (rc != SQLITE_DONE) return engine_error(db, rc);
  return out;
}

}  // namespace dbvault::storage::columns
