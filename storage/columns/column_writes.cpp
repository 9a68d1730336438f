// Writes to tables with encrypted columns: which statements must be sealed, the table's shape
// for the rewrite (storage/columns/write_rewrite.h), and the compilation of the rewrite.
#include <algorithm>
#include <set>

#include "grammar/printer.h"
#include "storage/columns/table_shape.h"
#include "storage/engine_internal.h"
#include "storage/sql_words.h"

namespace dbvault::storage {
namespace {

std::string vault_table(const EngineAccess& a) {
  return fold_ascii(a.schema.empty() ? "main" : a.schema) + "." + fold_ascii(a.table);
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

}  // namespace

Status seal_encrypted_writes(ConnectionState& conn, std::string_view sql, Compiled& c,
                             bool& sealed) {
  sealed = false;
  if (conn.engine.columns.empty()) return ok_status();
  DBV_RETURN_IF_ERROR(refuse_renames(conn, c));
  std::set<std::pair<std::string, std::string>> written;  // (schema, table) as SQLite names it
  std::string table;
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
    table = name;
  }
  if (written.empty()) return ok_status();
  if (written.size() > 1) {
    return make_error(sqlstate::kFeatureNotSupported,
                      "a statement that writes a table with encrypted columns writes no other "
                      "table");
  }
  const auto& [schema, name] = *written.begin();
  auto shape =
      columns::sealed_table(conn.db, *conn.auth, schema, name, *conn.engine.columns.find(table));
  if (!shape) return std::move(shape).error();
  DBV_RETURN_IF_ERROR(refuse_row_identity_update(c, *shape, *written.begin()));
  auto rewritten = columns::seal_writes(sql, *shape);
  if (!rewritten) return std::move(rewritten).error();
  conn.auth->set_sealing(true);
  auto again = compile(conn.db, *conn.auth, *rewritten, Completion::kMayDefer);
  const int calls = conn.auth->seal_calls();
  conn.auth->set_sealing(false);
  if (!again) return std::move(again).error();
  // The rewrite reads the text with its own tokenizer: if SQLite did not compile every seal it
  // wrote (one hidden in what SQLite takes for a comment or a string), some value may be
  // stored as written. Fail closed.
  if (calls != wrapped_values(*rewritten)) {
    return make_error(sqlstate::kFeatureNotSupported,
                      "encrypted columns of " + shape->vault_name +
                          ": the engine could not seal this statement's values (SQLite reads "
                          "its text differently from the engine's rewrite); write each value "
                          "as a literal or a numbered parameter");
  }
  c = std::move(again).value();
  sealed = true;
  return ok_status();
}

}  // namespace dbvault::storage
