// compile(): one statement of SQLite SQL compiled with the Authorizer collecting, completed
// with what the authorizer cannot report itself (every column of a table-wide access, every
// table of a whole-database copy, whether ALTER TABLE renames), and refused when its access
// set cannot be determined. The one piece both the engine connections and the EXPLAIN VAULT
// resolver use, so that what is explained is what is enforced.
// Thread-safety: the connection's thread.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "storage/authorizer.h"
#include "vault/access_resolver.h"
#include "vault/policy_snapshot.h"

namespace dbvault::storage {

struct FinalizeStmt {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, FinalizeStmt>;

struct Compiled {
  StmtPtr stmt;
  StatementFacts facts;
  // The facts still lack what the schema queries add (complete_deferred() before the first
  // check); only with Completion::kMayDefer.
  bool pending = false;
};

enum class Completion {
  kNow,
  // A writing statement compiled inside a transaction block that has not touched the
  // database yet leaves its schema queries to its first execution: run now, they would open
  // the block's read snapshot, and the write would then need a lock upgrade, which SQLite
  // refuses at once (no busy wait) whenever another connection writes. Taking the write
  // lock first instead would make Parse wait for other sessions' transactions, which
  // PostgreSQL's Parse never does (and pgbench, preparing synchronously, deadlocks on).
  kMayDefer,
};

// 42601: a syntax error, no statement, or more than one; 42501: the authorizer refused an
// action, or the statement's access set cannot be determined; the engine's error otherwise
// (engine_error). Nothing ran.
Result<Compiled> compile(sqlite3* db, Authorizer& auth, std::string_view sql,
                         Completion completion = Completion::kNow);

// Completes the facts of a `pending` compilation, at its first execution: takes the write
// lock first when the transaction still has no snapshot (waiting for it as any write does),
// then runs the schema queries. Clears `pending`. Errors as compile()'s.
Status complete_deferred(sqlite3* db, Authorizer& auth, std::string_view sql, Compiled& c);

// A writing statement in an explicit transaction that has read nothing yet: its checks' schema
// queries would open a read snapshot SQLite cannot upgrade without SQLITE_BUSY, so
// take_write_lock() first (a write that changes nothing; the busy handler waits for it).
bool needs_write_lock_first(sqlite3* db, sqlite3_stmt* stmt);
Status take_write_lock(sqlite3* db, Authorizer& auth);

// Before an execution of a statement prepared earlier: 42501 when a name it reported without
// a schema (facts.placements) would now be found in another schema than the one it was
// checked in (a TEMP table that shadowed it was dropped): SQLite re-prepares the statement on
// such a change, and the re-prepare reports the name unqualified again, so the authorizer's
// verification cannot tell. Takes the write lock first as complete_deferred() does.
Status check_placement(sqlite3* db, Authorizer& auth, sqlite3_stmt* stmt,
                       const StatementFacts& facts);

// Adds (EXPORT, object) after the facts' accesses for every distinct object they read
// (PrepareOptions::exported). The authorizer's verification at each step is unaffected: it
// compares what SQLite asks with the reads already in the set.
void add_export_accesses(StatementFacts& facts);

// SQLite's error on `db` (after `rc`) as an Error with a fitting SQLSTATE. I/O and corruption:
// through the encrypting VFS, vfs::tde_error (XX001 for a page, WAL frame or journal record that
// fails authentication, 58000 for a key that does not open the file); otherwise XX001 for
// SQLite's corruption reports and SQLITE_IOERR_DATA, 58030 for other I/O failures.
Error engine_error(sqlite3* db, int rc);

// Runs an internal statement returning no rows (authorizer in internal mode). 58030 on error.
Status exec_internal(sqlite3* db, Authorizer& auth, const std::string& sql);

// Column `col` of every row of an internal query (authorizer in internal mode), as text.
Result<std::vector<std::string>> query_column(sqlite3* db, Authorizer& auth, const std::string& sql,
                                              int col);
// query_column() for a query that reads only the schema of `schema` (its sqlite_schema, a
// PRAGMA about its tables; `sql` names that schema), answered from the connection's
// SchemaCache while that schema is unchanged (schema_cache.h). query_schema: every column.
Result<std::shared_ptr<const SchemaCache::Rows>> query_schema(sqlite3* db, Authorizer& auth,
                                                              const std::string& schema,
                                                              const std::string& sql);
Result<std::vector<std::string>> query_schema_column(sqlite3* db, Authorizer& auth,
                                                     const std::string& schema,
                                                     const std::string& sql, int col);
// The column names of `schema`.`table` (with hidden and generated ones when `hidden`).
Result<std::vector<std::string>> table_columns(sqlite3* db, Authorizer& auth,
                                               std::string_view schema, std::string_view table,
                                               bool hidden);

// "name" quoted as an SQL identifier, always (string literals: grammar::quote_literal).
std::string quote_ident(std::string_view name);

// The facts' accesses resolved against `snap` (PolicySnapshot::resolve_access_object; kNoId
// for an object the vault does not know), named "schema.table[.column]".
vault::StatementAccesses resolve(const vault::PolicySnapshot& snap, const StatementFacts& facts);

}  // namespace dbvault::storage
