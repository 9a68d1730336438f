// The engine's rewrite of a write to a table with encrypted columns (docs/encryption.md §13.4):
// every value written to an encrypted column is wrapped in dbvault_seal(...) before SQLite
// compiles the statement, so SQLite only ever sees the sealed value in the column.
//
// Accepted forms (SQLite SQL as the engine receives it, after pgcompat):
//   INSERT [OR <conflict>] INTO [schema.]t [(c, ...)] VALUES (v, ...) [, (v, ...)] [;]
//   INSERT [OR <conflict>] INTO [schema.]t DEFAULT VALUES [;]          (nothing to seal)
//   REPLACE INTO ... VALUES ...
//   UPDATE [OR <conflict>] [schema.]t SET c = v [, c = expr ...] [WHERE ...] [;]
// where each value written to an encrypted column is one literal (number, string, blob, NULL,
// TRUE, FALSE, with a sign) or one numbered or named parameter (?1, :x, @x, $x). Anything
// else that writes an encrypted column — INSERT ... SELECT, an upsert, RETURNING, UPDATE ...
// FROM, an expression, a bare `?`, a row value — is refused with 0A000 naming the column, so
// that no write path the rewrite does not understand can store a value unsealed.
//
// RANDOMIZED values are bound to the row's INTEGER PRIMARY KEY: INSERT passes the value given
// for it (CAST to INTEGER; none given: the seal fails, 0A000), UPDATE passes the row's current
// key, and an UPDATE that also changes the key is refused (0A000): the sealed values would
// then belong to another row.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "storage/columns/column_catalog.h"

namespace dbvault::storage::columns {

// What the rewrite needs to know about the written table.
struct SealedTable {
  std::string vault_name;            // "main.t": the first argument of dbvault_seal
  std::vector<std::string> columns;  // the table's columns in order, folded
  std::string rowid_column;          // the INTEGER PRIMARY KEY column (folded), "" if none
  std::vector<EncryptedColumn> encrypted;
};

// The statement with every value written to an encrypted column of `table` sealed. 0A000 for
// a form it does not accept (above); 42601 for text it cannot tokenize.
Result<std::string> seal_writes(std::string_view sql, const SealedTable& table);

}  // namespace dbvault::storage::columns
