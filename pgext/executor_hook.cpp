#include "pgext/executor_hook.h"

#include "pgext/decision_timing.h"
#include "pgext/log_hook.h"
#include "pgext/module.h"
#include "pgext/pg_access.h"

// PostgreSQL last: its headers define macros (snprintf, ...) that break the C++ library;
// and postgres.h first among them.
// clang-format off
extern "C" {
#include "postgres.h"

#include "access/parallel.h"
#include "access/transam.h"
#include "executor/executor.h"
#include "nodes/parsenodes.h"
#include "tcop/tcopprot.h"
}
// clang-format on

namespace dbvault::pgext {
namespace {

ExecutorCheckPerms_hook_type g_prev_check_perms = nullptr;
ExecutorStart_hook_type g_prev_executor_start = nullptr;
// The range table executor_start has just checked, while standard_ExecutorStart runs (reset
// however it ends, so it never outlives its statement): the permission hook that InitPlan
// calls for the same list need not decide again.
List* g_checked_rtable = nullptr;

// After the statement was allowed: if it writes rows of a table the session may not read
// whole, an error describing such a row must not show the values (log_hook.h).
void guard_row_descriptions(List* rtable) {
  PgAccessList rows;
  ListCell* lc;
  foreach (lc, rtable) {
    const RangeTblEntry* rte = static_cast<RangeTblEntry*>(lfirst(lc));
    if (rte->rtekind != RTE_RELATION || rte->relid < FirstNormalObjectId) continue;
    if ((rte->requiredPerms & (ACL_INSERT | ACL_UPDATE | ACL_DELETE)) == 0) continue;
    add_access(&rows, rte->relid, ast::Command::kSelect, whole_row(), true);
  }
  if (rows.n > 0 && !vault_may_read(rows.items, rows.n)) mark_hidden_row_values();
}

// The accesses of a range table, skipping the system catalogs (objects made by initdb).
// A relation without required permissions (an inheritance child or partition the planner
// added) is checked as a read of the table, so a realm on a partition holds through its parent.
bool vault_check_rtable(List* rtable, bool ereport_on_violation) {
  // A parallel worker runs a range table its leader already checked, for the leader's
  // session; the worker has no vault session of its own (nor the leader's unlocks).
  if (IsParallelWorker()) return true;
  const std::uint64_t start = decision_timing_on() ? monotonic_ns() : 0;
  PgAccessList accesses = range_table_accesses(rtable);
  if (copy_to_query_running()) add_exports_of_reads(&accesses);
  // Catalogs only: psql's \d works even when the vault cannot open.
  if (accesses.n == 0) return true;
  if (vault_check(accesses.items, accesses.n, debug_query_string, AccessCheck::kDecide)) {
    guard_row_descriptions(rtable);
    if (start != 0) decision_timing().decisions.add(monotonic_ns() - start);
    return true;
  }
  if (!ereport_on_violation) return false;
  raise(backend_state().error);
}

bool check_perms(List* rtable, bool ereport_on_violation) {
  if (g_prev_check_perms != nullptr && !g_prev_check_perms(rtable, ereport_on_violation)) {
    return false;
  }
  if (rtable != nullptr && rtable == g_checked_rtable) return true;
  return vault_check_rtable(rtable, ereport_on_violation);
}

// The vault's check of a statement's range table before PostgreSQL's ACL check (which
// ExecCheckRTPerms runs before its hook): the vault decides first, as in the embedded
// engine, so a role without the table's privileges is still told that the realm refuses it.
// The permission hook still checks every other range table (COPY's, the RI checks', those of
// statements whose ExecutorStart this hook did not see).
void executor_start(QueryDesc* query, int eflags) {
  List* const rtable = query->plannedstmt->rtable;
  vault_check_rtable(rtable, true);
  List* const outer = g_checked_rtable;
  g_checked_rtable = rtable;
  PG_TRY();
  {
    if (g_prev_executor_start != nullptr) {
      g_prev_executor_start(query, eflags);
    } else {
      standard_ExecutorStart(query, eflags);
    }
  }
  PG_FINALLY();
  { g_checked_rtable = outer; }
  PG_END_TRY();
}

}  // namespace

void install_executor_hook() {
  g_prev_check_perms = ExecutorCheckPerms_hook;
  ExecutorCheckPerms_hook = check_perms;
  g_prev_executor_start = ExecutorStart_hook;
  ExecutorStart_hook = executor_start;
}

}  // namespace dbvault::pgext
