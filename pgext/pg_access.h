// The relations a statement touches, as the PostgreSQL edge hands them to the core: plain C
// values gathered from the catalogs (add_access, which may ereport, so it runs in frames
// without C++ objects) and then checked in one guarded call (vault_check). Shared by the
// executor hook and the utility hook. Internal to pgext/.
#pragma once

#include "grammar/ast.h"
#include "vault/decision.h"

struct Bitmapset;
struct List;
struct RangeTblEntry;

namespace dbvault::pgext {

// One (relation, command) with its columns, palloc'd in the current memory context.
struct PgAccess {
  const char* schema;
  const char* table;
  ast::Command command;
  int ncolumns;
  const char** columns;
  // The role the access is made with when it is not the session's own: the owner of the view
  // whose body makes it (RangeTblEntry.checkAsUser); 0 for the session's.
  unsigned int as_user;
};

// Every column of a relation (a whole-row reference), as a RangeTblEntry column set.
Bitmapset* whole_row();

// A growing array of accesses, palloc'd in the current memory context.
struct PgAccessList {
  PgAccess* items = nullptr;
  int n = 0;
  int capacity = 0;
};

// Appends the access (relation `relid`, whose lock the caller holds, `command`, the columns
// in `cols`) to `out`: its schema and name from the catalogs and the names of the columns
// (attribute numbers offset by FirstLowInvalidHeapAttributeNumber, as in RangeTblEntry; a
// whole-row reference stands for every column; nullptr: none). With `with_owners`, the same
// access of every relation whose rows `relid`'s rows are (data_owners.h: partition and
// inheritance ancestors, the table of a TOAST relation — every column of it) follows.
// Calls PostgreSQL (may ereport).
void add_access(PgAccessList* out, unsigned int relid, ast::Command command, Bitmapset* cols,
                bool with_owners);

// The permissions an entry of `rtable` is checked with: its required ones, or for a relation
// without any (an inheritance child or partition the planner added) those of its ancestors
// in the range table (a DELETE through the parent deletes from it), or a read.
unsigned int entry_perms(List* rtable, const RangeTblEntry* rte);

// The accesses of one range-table entry of relation `relid` with permissions `perms`
// (AclMode) and the entry's column sets, its data owners and routing targets included (as
// range_table_accesses() makes them, as_user 0). Calls PostgreSQL.
PgAccessList entry_accesses(unsigned int relid, unsigned int perms, Bitmapset* selected,
                            Bitmapset* inserted, Bitmapset* updated);

// pg_statistic and pg_statistic_ext_data hold samples of column values (most common
// values, histograms): through pg_stats, a table's owner reads its realm columns' data.
// range_table_accesses() refuses them.
bool holds_value_samples(unsigned int relid);

// The accesses of a range table (a PlannedStmt's, flattened): each relation with the
// commands and columns its entry requires, and its data owners (add_access), skipping the
// system catalogs made by initdb. A relation without required permissions (an inheritance
// child or partition the planner added) has the permissions of its ancestors in the range
// table (a DELETE through the parent deletes from it), or is a read. A partitioned table
// written with INSERT (or COPY FROM) also counts every partition below it, where rows may be
// routed. ereports (42501) for pg_statistic / pg_statistic_ext_data, which hold samples of
// column values. Calls PostgreSQL.
PgAccessList range_table_accesses(List* rtable);

// Appends, for every read (SELECT) in `list`, the same relation and columns as EXPORT: what a
// COPY (query) TO reads leaves the database, so EXPORT command rules hold for it as they do
// for COPY table TO. Calls PostgreSQL (palloc).
void add_exports_of_reads(PgAccessList* list);

// While a COPY (query) TO runs (utility_hook.cpp sets it, and resets it however the COPY
// ends), every range table the executor checks counts its reads as exports too — nested
// ones (a function the query calls) included, which refuses more, never less.
bool& copy_to_query_running();

enum class AccessCheck {
  kDecide,      // realms and command rules (BackendVault::check)
  kNotInRealm,  // refuse any relation or column in a realm (renames, SET SCHEMA)
  kExport,      // kDecide, then a durable data_export record (COPY ... TO)
};

// Opens the backend's vault if needed, catches up with the shared policy version and runs
// `check` on the accesses. Then, for kDecide and kExport, the body check (body_owners.h):
// the accesses made with a view owner's rights (as_user), and all of them while functions of
// other roles run, are checked again for each such role with standing authorizations only —
// unless the role is the session's user or a superuser.
// False with backend_state().error set on a refusal or failure.
// `query`: the statement text for audit records (literals are replaced there).
bool vault_check(const PgAccess* accesses, int n, const char* query, AccessCheck check);

// The body check alone for role `owner` (a role OID): the accesses checked for that role's
// vault user with standing authorizations only (BackendVault::check_as_body_owner), audited
// as a refusal. False with backend_state().error set on a refusal or failure.
bool vault_check_as_owner(const PgAccess* accesses, int n, const char* query, unsigned int owner);

// The accesses as the vault's object ids against the current snapshot
// (BackendVault::resolve): *nresolved of them, in backend-lifetime storage valid until the
// next call. nullptr with backend_state().error set on failure. REQUIRES: the vault is open.
const vault::Access* vault_accesses(const PgAccess* accesses, int n, int* nresolved);

// False when the session may not read every column of the relations (a SELECT of them would
// be refused), or when that cannot be decided. No audit event.
bool vault_may_read(const PgAccess* accesses, int n);

}  // namespace dbvault::pgext
