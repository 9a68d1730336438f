// Reads SQLite makes on a statement's behalf without telling the authorizer: the expressions
// of a table's own schema. A generated column is computed from other columns of its row; an
// UPDATE evaluates the table's CHECK constraints, its generated columns and the WHERE and
// expressions of its partial and expression indexes, and a failed CHECK or UNIQUE answers a
// question about the columns they read. SQLite resolves those expressions when it loads the
// schema, where no authorizer runs, so a column realm would not see them (a generated copy of
// a realm column, or a CHECK used as an oracle, planted before the column joined the realm).
// Thread-safety: the connection's thread.
#pragma once

#include <sqlite3.h>

#include <string_view>

#include "common/result.h"
#include "storage/authorizer.h"

namespace dbvault::storage {

// Adds to `f`, conservatively (the expressions are not parsed): a SELECT of every column of
// the table for each read of a generated column (same context: the data flows where the
// read goes), and for each UPDATE of a table whose schema has such expressions, a SELECT of
// every column marked `implied` (checked like any read; not a data flow for containment,
// since a constraint's verdict is stored nowhere). On failure (an engine error) `f` may hold
// part of the additions; the caller refuses the statement.
Status add_schema_reads(sqlite3* db, Authorizer& auth, StatementFacts& f);

// The transfer optimization: SQLite compiles `INSERT INTO t SELECT * FROM u` (no column list,
// no WHERE, ... : insert.c xferOptimization) to a raw copy of u's records and tells the
// authorizer only of the INSERT — no SELECT, no read of u. So the table a top-level INSERT
// reads without reporting any read is found in its program (each OpenRead's root page, mapped
// to its table through sqlite_schema) and a SELECT of every column of it added, in the
// statement's own context (a data flow into the INSERT: checked by the realms, RBAC and
// containment like any read). Inside a trigger body the program is not visible: an INSERT
// made by a trigger whose text has `SELECT *` / `SELECT ALL *` is refused (42501), also where
// SQLite would not have used the optimization (fail closed). Costs an EXPLAIN only for a
// top-level INSERT that reported no read and whose text says SELECT. On failure `f` may hold
// part of the additions; the caller refuses the statement.
Status add_transfer_reads(sqlite3* db, Authorizer& auth, std::string_view sql, StatementFacts& f);

}  // namespace dbvault::storage
