#include "storage/columns/table_shape.h"

#include "grammar/printer.h"
#include "storage/compile.h"
#include "storage/sql_words.h"

namespace dbvault::storage::columns {

Result<std::string> rowid_column(sqlite3* db, Authorizer& auth, std::string_view schema,
                                 std::string_view table) {
  const std::string args =
      "(" + grammar::quote_literal(table) + ", " + grammar::quote_literal(schema) + ")";
  auto without_rowid =
      query_column(db, auth,
                   "SELECT wr FROM pragma_table_list(" + grammar::quote_literal(table) +
                       ") WHERE schema = " + grammar::quote_literal(schema),
                   0);
  if (!without_rowid) return std::move(without_rowid).error();
  if (without_rowid->empty() || without_rowid->front() != "0") return std::string();
  auto pk = query_column(db, auth,
                         "SELECT name FROM pragma_table_info" + args +
                             " WHERE pk = 1 AND upper(type) = 'INTEGER' AND (SELECT count(*) "
                             "FROM pragma_table_info" +
                             args + " WHERE pk > 0) = 1",
                         0);
  if (!pk) return std::move(pk).error();
  return pk->empty() ? std::string() : fold_ascii(pk->front());
}

Result<SealedTable> sealed_table(sqlite3* db, Authorizer& auth, std::string_view schema,
                                 std::string_view table, const EncryptedTable& record) {
  SealedTable shape;
  shape.vault_name = record.table;
  shape.encrypted = record.columns;
  auto cols = table_columns(db, auth, schema, table, false);
  if (!cols) return std::move(cols).error();
  for (const auto& c : *cols) shape.columns.push_back(fold_ascii(c));
  auto rowid = rowid_column(db, auth, schema, table);
  if (!rowid) return std::move(rowid).error();
  shape.rowid_column = std::move(*rowid);
  for (const auto& e : record.columns) {
    if (!e.mode) {
      return make_error(sqlstate::kDataCorrupted,
                        "the encryption metadata of column " + record.table + "." + e.column +
                            " is invalid (unknown encryption type): it cannot be written");
    }
  }
  return shape;
}

}  // namespace dbvault::storage::columns
