// Writes to tables with encrypted columns: which statements must be sealed, the table's shape
// for the rewrite (storage/columns/write_rewrite.h), and the compilation of the rewrite.
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

}  // namespace

Status seal_encrypted_writes(ConnectionState& conn, std::string_view sql, Compiled& c,
                             bool& sealed) {
  sealed = false;
  if (conn.engine.columns.empty()) return ok_status();
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
  auto rewritten = columns::seal_writes(sql, *shape);
  if (!rewritten) return std::move(rewritten).error();
  conn.auth->set_sealing(true);
  auto again = compile(conn.db, *conn.auth, *rewritten, Completion::kMayDefer);
  conn.auth->set_sealing(false);
  if (!again) return std::move(again).error();
  c = std::move(again).value();
  sealed = true;
  return ok_status();
}

}  // namespace dbvault::storage
