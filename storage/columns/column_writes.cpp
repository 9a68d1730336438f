// Statements on tables with encrypted columns (docs/encryption.md §13.4, §13.5): the writes to
// seal (storage/columns/write_rewrite.h), the equality predicates to seal
// (storage/columns/comparison_rewrite.h), the compilation of the rewrite, and the operator
// rules checked on SQLite's program (storage/columns/use_check.h).
#include <algorithm>
#include <set>

#include "grammar/printer.h"
#include "storage/columns/comparison_rewrite.h"
#include "storage/columns/sql_tokens.h"
#include "storage/columns/table_shape.h"
#include "storage/columns/use_check.h"
#include "storage/engine_internal.h"
#include "storage/sql_words.h"

namespace dbvault::storage {
namespace {

std::string vault_table(const EngineAccess& a) {
  return fold_ascii(a.schema.empty() ? "main" : a.schema) + "." + fold_ascii(a.table);
}

// The one table with encrypted columns the statement writes (nullopt: none). 0A000 for a write
// made by a body, or a statement writing such a table and another one.
Result<std::optional<std::pair<std::string, std::string>>> written_table(
    const ConnectionState& conn, const Compiled& c) {
  std::set<std::pair<std::string, std::string>> written;  // (schema, table) as SQLite names it
  for (const auto& a : c.facts.accesses) {
    if (a.command != ast::Command::kInsert && a.command != ast::Command::kUpdate) continue;
    const std::string name = vault_table(a);
    if (!conn.engine.columns.find(name)) continue;
    if (!a.context.empty()) {
      return make_error(sqlstate::kFeatureNotSupported,
                        "the encrypted columns of " + name + " cannot be written by the body of " +
                            a.context +
                            " (only a statement's own INSERT ... VALUES or "
                            "UPDATE ... SET, which the engine seals)");
    }
    written.insert({a.schema.empty() ? "main" : a.schema, a.table});
  }
  if (written.empty()) return std::optional<std::pair<std::string, std::string>>();
  if (written.size() > 1) {
    return make_error(sqlstate::kFeatureNotSupported,
                      "a statement that writes a table with encrypted columns writes no other "
                      "table");
  }
  return std::optional(*written.begin());
}

// The engine knows a table's encrypted columns by its name and theirs (column_catalog.h): a
// rename would take them out of encryption (the next write under the new name unsealed), so
// no ALTER TABLE that renames may touch such a table, as no rename may touch a realm's.
Status refuse_renames(const ConnectionState& conn, const Compiled& c) {
  if (!c.facts.renames) return ok_status();
  for (const auto& a : c.facts.accesses) {
    if (a.command != ast::Command::kAlter) continue;
    const std::string name = vault_table(a);
    if (!conn.engine.columns.find(name)) continue;
    return make_error(sqlstate::kFeatureNotSupported,
                      "ALTER TABLE ... RENAME of " + name +
                          " is not supported: its encrypted columns are known by the table's "
                          "and the columns' names");
  }
  return ok_status();
}

// SQLite's own view of an UPDATE (the authorizer names the column it resolved: the INTEGER
// PRIMARY KEY column, or "ROWID" for the aliases rowid, oid and _rowid_): no UPDATE may change
// the row identity that RANDOMIZED values are bound to, however it spells it.
Status refuse_row_identity_update(const Compiled& c, const columns::SealedTable& shape,
                                  const std::pair<std::string, std::string>& table) {
  const bool randomized =
      std::any_of(shape.encrypted.begin(), shape.encrypted.end(),
                  [](const auto& e) { return e.mode == columns::ColumnMode::kRandomized; });
  if (!randomized) return ok_status();
  for (const auto& a : c.facts.accesses) {
    if (a.command != ast::Command::kUpdate || a.column.empty()) continue;
    if ((a.schema.empty() ? "main" : a.schema) != table.first || a.table != table.second) continue;
    // "ROWID" as SQLite spells an alias; a real column of that name is reported as declared
    // (one declared exactly ROWID counts as the alias: refused, fail closed).
    const std::string column = fold_ascii(a.column);
    const bool real_rowid_column =
        std::find(shape.columns.begin(), shape.columns.end(), "rowid") != shape.columns.end();
    const bool alias = column == "rowid" && (!real_rowid_column || a.column == "ROWID");
    if (!alias && column != shape.rowid_column) continue;
    return make_error(sqlstate::kFeatureNotSupported,
                      "an UPDATE of " + shape.vault_name + " may not change " + a.column +
                          ", the row identity its RANDOMIZED values are bound to");
  }
  return ok_status();
}

// How many dbvault_seal calls the rewrite wrote (the user's text may name none: engine.cpp).
int wrapped_values(std::string_view rewritten) {
  const std::string folded = fold_ascii(rewritten);
  int n = 0;
  for (auto at = folded.find(columns::kSealFunction); at != std::string::npos;
       at = folded.find(columns::kSealFunction, at + 1)) {
    ++n;
  }
  return n;
}

// The DETERMINISTIC columns the statement reads (any schema SQLite reported, or none: main),
// for the comparison rewrite; `touches`: whether it names a table with encrypted columns at all.
std::vector<columns::ComparedColumn> compared_columns(const ConnectionState& conn,
                                                      const Compiled& c, bool& touches) {
  std::vector<columns::ComparedColumn> out;
  touches = false;
  for (const auto& a : c.facts.accesses) {
    const std::string table = vault_table(a);
    if (!conn.engine.columns.find(table)) continue;
    touches = true;
    if (a.command != ast::Command::kSelect || a.column.empty()) continue;
    const auto record = conn.engine.columns.column(table, a.column);
    if (!record || record->mode != columns::ColumnMode::kDeterministic) continue;
    columns::ComparedColumn cc{{table, record->column}, fold_ascii(a.table)};
    const bool seen = std::any_of(out.begin(), out.end(), [&](const auto& o) {
      return o.column.table == cc.column.table && o.column.column == cc.column.column;
    });
    if (!seen) out.push_back(std::move(cc));
  }
  return out;
}

// What check_uses() needs to know of the statement's text.
columns::StatementUse statement_use(std::string_view sql) {
  columns::StatementUse use;
  auto tokens = columns::tokenize(sql);
  if (!tokens) return {false, true};  // not tokenized: assume it orders (fail closed)
  const auto word = [&](std::size_t i, std::string_view w) {
    return i < tokens->size() && (*tokens)[i].kind == columns::Kind::kWord &&
           (*tokens)[i].text == w;
  };
  use.building_index =
      word(0, "CREATE") && (word(1, "INDEX") || (word(1, "UNIQUE") && word(2, "INDEX")));
  for (std::size_t i = 0; i < tokens->size(); ++i)
    use.orders = use.orders || (word(i, "ORDER") && word(i + 1, "BY"));
  return use;
}

}  // namespace

Status check_operator_rules(ConnectionState& conn, std::string_view sql, const Compiled& c) {
  // An EXPLAIN [QUERY PLAN] runs nothing: it shows the program, never a value.
  if (sqlite3_stmt_isexplain(c.stmt.get()) != 0) return ok_status();
  auto layout = columns::stored_layout(conn.db, *conn.auth, conn.engine.columns);
  if (!layout) return std::move(layout).error();
  auto program = columns::explain_program(conn.db, *conn.auth, sql);
  if (!program) return std::move(program).error();
  std::vector<std::optional<int>> origins;
  const columns::ResultPlan plan = conn.columns->plan(c.stmt.get());
  for (const auto& p : plan) {
    std::optional<int> at;
    for (std::size_t i = 0; p && i < layout->columns.size(); ++i) {
      if (layout->columns[i].column.table == p->column.table &&
          layout->columns[i].column.column == p->column.column) {
        at = static_cast<int>(i);
      }
    }
    origins.push_back(at);
  }
  return columns::check_uses(*program, *layout, origins, statement_use(sql));
}

std::vector<std::optional<std::int64_t>> rules_schema(ConnectionState& conn) {
  SchemaCache& cache = conn.auth->schema_cache();
  return {cache.cookie("main"), cache.cookie("temp")};
}

Status recheck_operator_rules(StatementState& st) {
  if (st.rules_text.empty()) return ok_status();
  auto now = rules_schema(st.conn);
  const bool same = std::all_of(now.begin(), now.end(), [](const auto& v) { return v; }) &&
                    now == st.rules_schema;
  if (same) return ok_status();
  DBV_RETURN_IF_ERROR(check_operator_rules(st.conn, st.rules_text, st.compiled));
  st.rules_schema = std::move(now);
  return ok_status();
}

Status rewrite_encrypted_columns(ConnectionState& conn, std::string_view sql, Compiled& c,
                                 bool& sealed, std::string& checked) {
  sealed = false;
  checked.clear();
  if (conn.engine.columns.empty()) return ok_status();
  DBV_RETURN_IF_ERROR(refuse_renames(conn, c));
  bool touches = false;
  const auto compared = compared_columns(conn, c, touches);
  if (!touches) return ok_status();
  auto written = written_table(conn, c);
  if (!written) return std::move(written).error();
  auto text = columns::seal_comparisons(sql, compared);
  if (!text) return std::move(text).error();
  if (*written) {
    const auto& [schema, name] = **written;
    const std::string table = fold_ascii(schema) + "." + fold_ascii(name);
    auto shape =
        columns::sealed_table(conn.db, *conn.auth, schema, name, *conn.engine.columns.find(table));
    if (!shape) return std::move(shape).error();
    DBV_RETURN_IF_ERROR(refuse_row_identity_update(c, *shape, **written));
    text = columns::seal_writes(*text, *shape);
    if (!text) return std::move(text).error();
  }
  if (*text != sql) {
    conn.auth->set_sealing(true);
    auto again = compile(conn.db, *conn.auth, *text, Completion::kMayDefer);
    const int calls = conn.auth->seal_calls();
    conn.auth->set_sealing(false);
    if (!again) return std::move(again).error();
    // The rewrite reads the text with its own tokenizer: if SQLite did not compile every seal
    // it wrote (one hidden in what SQLite takes for a comment or a string), some value may be
    // stored or compared as written. Fail closed.
    if (calls != wrapped_values(*text)) {
      return make_error(sqlstate::kFeatureNotSupported,
                        "encrypted columns: the engine could not seal this statement's values "
                        "(SQLite reads its text differently from the engine's rewrite); write "
                        "each value as a literal or a numbered parameter");
    }
    c = std::move(again).value();
    sealed = true;
  }
  // The operator rules are checked on this text once the vault has allowed the statement
  // (recheck_operator_rules): a session it refuses learns nothing of the columns.
  checked = std::move(*text);
  return ok_status();
}

}  // namespace dbvault::storage
