// The relations a statement touches, as the PostgreSQL edge hands them to the core: plain C
// values gathered from the catalogs (add_access, which may ereport, so it runs in frames
// without C++ objects) and then checked in one guarded call (vault_check). Shared by the
// executor hook and the utility hook. Internal to pgext/.
#pragma once

#include "grammar/ast.h"

struct Bitmapset;
struct List;

namespace dbvault::pgext {

// One (relation, command) with its columns, palloc'd in the current memory context.
struct PgAccess {
  const char* schema;
  const char* table;
  ast::Command command;
  int ncolumns;
  const char** columns;
};

// Appends out[(*n)++] for relation `relid` (whose lock the caller holds): its schema and
// name from the catalogs and the names of the columns in `cols` (attribute numbers offset
// by FirstLowInvalidHeapAttributeNumber, as in RangeTblEntry; a whole-row reference stands
// for every column; nullptr: none). Calls PostgreSQL (may ereport).
void add_access(PgAccess* out, int* n, unsigned int relid, ast::Command command, Bitmapset* cols);

// The accesses of a range table (a PlannedStmt's, flattened): each relation with the
// commands and columns its entry requires, skipping the system catalogs made by initdb. A
// relation without required permissions (an inheritance child or partition the planner added)
// counts as a read. ereports (42501) for pg_statistic / pg_statistic_ext_data, which hold
// samples of column values. Calls PostgreSQL.
PgAccess* range_table_accesses(List* rtable, int* n);

enum class AccessCheck {
  kDecide,      // realms and command rules (BackendVault::check)
  kNotInRealm,  // refuse any relation or column in a realm (renames, SET SCHEMA)
  kExport,      // kDecide, then a durable data_export record (COPY ... TO)
};

// Opens the backend's vault if needed, catches up with the shared policy version and runs
// `check` on the accesses. False with backend_state().error set on a refusal or failure.
// `query`: the statement text for audit records (literals are replaced there).
bool vault_check(const PgAccess* accesses, int n, const char* query, AccessCheck check);

}  // namespace dbvault::pgext
