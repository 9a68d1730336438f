#include "pgext/executor_hook.h"

#include "pgext/module.h"
#include "pgext/pg_access.h"

// PostgreSQL last: its headers define macros (snprintf, ...) that break the C++ library;
// and postgres.h first among them.
// clang-format off
extern "C" {
#include "postgres.h"

#include "access/parallel.h"
#include "access/transam.h"
#include "catalog/pg_statistic.h"
#include "catalog/pg_statistic_ext_data.h"
#include "executor/executor.h"
#include "utils/lsyscache.h"
#include "nodes/parsenodes.h"
#include "tcop/tcopprot.h"
}
// clang-format on

namespace dbvault::pgext {
namespace {

ExecutorCheckPerms_hook_type g_prev_check_perms = nullptr;

// The accesses of a range table, skipping the system catalogs (objects made by initdb).
// A relation without required permissions (an inheritance child or partition the planner
// added) is checked as a read of the table, so a realm on a partition holds through its parent.
// pg_statistic and pg_statistic_ext_data hold samples of column values (most common
// values, histograms): through pg_stats, a table's owner reads its realm columns' data.
bool holds_value_samples(Oid relid) {
  return relid == StatisticRelationId || relid == StatisticExtDataRelationId;
}

PgAccess* gather(List* rtable, int* n) {
  *n = 0;
  PgAccess* out = static_cast<PgAccess*>(palloc0(sizeof(PgAccess) * (4 * list_length(rtable) + 1)));
  ListCell* lc;
  foreach (lc, rtable) {
    const RangeTblEntry* rte = static_cast<RangeTblEntry*>(lfirst(lc));
    if (rte->rtekind == RTE_RELATION && holds_value_samples(rte->relid)) {
      ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                      errmsg("dbvault: reading %s is refused", get_rel_name(rte->relid)),
                      errdetail("It holds samples of column values, realm columns included.")));
    }
    if (rte->rtekind != RTE_RELATION || rte->relid < FirstNormalObjectId) continue;
    const AclMode perms = rte->requiredPerms;
    if (perms == 0 || (perms & ACL_SELECT)) {
      add_access(out, n, rte->relid, ast::Command::kSelect, rte->selectedCols);
    }
    if (perms & ACL_INSERT)
      add_access(out, n, rte->relid, ast::Command::kInsert, rte->insertedCols);
    if (perms & ACL_UPDATE) add_access(out, n, rte->relid, ast::Command::kUpdate, rte->updatedCols);
    if (perms & ACL_DELETE) add_access(out, n, rte->relid, ast::Command::kDelete, nullptr);
  }
  return out;
}

bool check_perms(List* rtable, bool ereport_on_violation) {
  if (g_prev_check_perms != nullptr && !g_prev_check_perms(rtable, ereport_on_violation)) {
    return false;
  }
  // A parallel worker runs a range table its leader already checked, for the leader's
  // session; the worker has no vault session of its own (nor the leader's unlocks).
  if (IsParallelWorker()) return true;
  int n = 0;
  const PgAccess* accesses = gather(rtable, &n);
  if (n == 0) return true;  // catalogs only: psql's \d works even when the vault cannot open
  if (vault_check(accesses, n, debug_query_string, AccessCheck::kDecide)) {
    return true;
  }
  if (!ereport_on_violation) return false;
  raise(backend_state().error);
}

}  // namespace

void install_executor_hook() {
  g_prev_check_perms = ExecutorCheckPerms_hook;
  ExecutorCheckPerms_hook = check_perms;
}

}  // namespace dbvault::pgext
