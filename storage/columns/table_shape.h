// What the encrypted-column layer reads from a table's schema: its row identity (the INTEGER
// PRIMARY KEY that RANDOMIZED values are bound to) and the shape the write rewrite needs.
// Runs the engine's own queries (authorizer in internal mode). Internal to storage/.
// Thread-safety: the connection's thread.
#pragma once

#include <sqlite3.h>

#include <string>
#include <string_view>

#include "common/result.h"
#include "storage/authorizer.h"
#include "storage/columns/column_catalog.h"
#include "storage/columns/write_rewrite.h"

namespace dbvault::storage::columns {

// The folded name of `schema`.`table`'s INTEGER PRIMARY KEY column (the rowid alias: SQLite
// keeps its values through VACUUM, unlike a bare rowid); "" when it has none, or is WITHOUT
// ROWID. 58030 on engine errors.
Result<std::string> rowid_column(sqlite3* db, Authorizer& auth, std::string_view schema,
                                 std::string_view table);

// The rewrite's view of `schema`.`table` with the catalog's record of it.
Result<SealedTable> sealed_table(sqlite3* db, Authorizer& auth, std::string_view schema,
                                 std::string_view table, const EncryptedTable& record);

}  // namespace dbvault::storage::columns
