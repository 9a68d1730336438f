// Reads the engine makes through an index without telling the authorizer. SQLite reports the
// columns a statement names, not the indexes its plan scans; yet an index scan lists the rows
// in the order of the index's key columns (and a partial index's rows are those its WHERE
// admits). With a column in a realm, `SELECT id FROM t` that SQLite answers from the covering
// index on the realm column, or `SELECT id FROM t INDEXED BY i`, returns the rows in the
// order of the hidden values: with a guess inserted, a binary search finds each one.
// Thread-safety: the connection's thread.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "storage/authorizer.h"
#include "vault/policy_snapshot.h"

namespace dbvault::storage {

// True if one of the EXPLAIN QUERY PLAN lines names index `name` ("... USING [COVERING]
// INDEX name ..."), as a whole word.
bool plan_reads_index(const std::vector<std::string>& plan, const std::string& name);

// The facts with, for each index of a table the statement touches (not TEMP) whose key
// columns include a column the policy names (`snap` resolves it to a column object) and that
// the statement's plan (EXPLAIN QUERY PLAN of `stmt`) reads, a SELECT of each such column in
// the statement's own context (the order reaches the session; also a data flow for
// containment). An index on an expression or a partial index counts as reading every
// column of the table the policy names (not parsed: fail closed). One plan is exempt: a
// `SELECT count(*) FROM t` the engine answers by counting an index's entries (its one plan
// line, and the program's Count opcode), which tells no order. nullptr when nothing is added
// (the common case costs one cached schema query per table touched). 58030 on engine errors;
// an EXPLAIN statement reads no row and gets nothing added.
Result<std::unique_ptr<StatementFacts>> with_index_reads(sqlite3* db, Authorizer& auth,
                                                         const vault::PolicySnapshot& snap,
                                                         sqlite3_stmt* stmt,
                                                         const StatementFacts& facts);

}  // namespace dbvault::storage
