#include "pgext/executor_hook.h"

#include <algorithm>
#include <cstring>
#include <span>

#include "pgext/access_memo.h"
#include "pgext/body_owners.h"
#include "pgext/decision_timing.h"
#include "pgext/foreign_calls.h"
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

// The vault's accesses of a statement, gathered from the memo. The first entry's are used
// where the memo holds them (most statements have one relation), valid until the next
// memo_accesses() call: own() copies them into the statement's memory before that.
struct Gathered {
  const vault::Access* items = nullptr;
  int n = 0;
  int capacity = 0;                // of `owned`
  vault::Access* owned = nullptr;  // palloc'd; items == owned unless borrowed from the memo
};

void reserve(Gathered* g, int n) {
  if (n <= g->capacity) return;
  const int capacity = std::max(16, 2 * n);
  const Size bytes = sizeof(vault::Access) * capacity;
  g->owned =
      static_cast<vault::Access*>(g->owned == nullptr ? palloc(bytes) : repalloc(g->owned, bytes));
  g->capacity = capacity;
}

void own(Gathered* g) {
  if (g->n == 0 || g->items == g->owned) return;
  const vault::Access* borrowed = g->items;
  reserve(g, g->n);
  std::memcpy(g->owned, borrowed, sizeof(vault::Access) * g->n);
  g->items = g->owned;
}

void append(Gathered* g, const MemoAccesses& m) {
  if (g->n == 0) {
    *g = Gathered{m.items, m.n, g->capacity, g->owned};
    return;
  }
  own(g);
  reserve(g, g->n + m.n);
  if (m.n > 0) std::memcpy(g->owned + g->n, m.items, sizeof(vault::Access) * m.n);
  g->items = g->owned;
  g->n += m.n;
}

constexpr int kMaxBodyOwners = 64;

// Whether the statement runs code of a role other than the session's own (own_code): a
// function of another role running now, or a view of another role in the range table. Its
// accesses then need the body check, which the full path makes.
bool runs_other_bodies(List* rtable) {
  unsigned int running[kMaxBodyOwners];
  const int n = running_function_owners(running, kMaxBodyOwners);
  if (n == kMaxBodyOwners) return true;  // perhaps more: the full path refuses them
  for (int i = 0; i < n; ++i) {
    if (!own_code(running[i])) return true;
  }
  ListCell* lc;
  foreach (lc, rtable) {
    const RangeTblEntry* rte = static_cast<RangeTblEntry*>(lfirst(lc));
    if (rte->rtekind != RTE_RELATION || rte->relid < FirstNormalObjectId) continue;
    if (OidIsValid(rte->checkAsUser) && !own_code(rte->checkAsUser)) return true;
  }
  return false;
}

enum class Fast { kAllowed, kCatalogsOnly, kFull };

// The allow path of vault_check_rtable, from memoised accesses (access_memo.h): kAllowed
// when the session may make every access of the range table with nothing to audit and runs
// no body of another role — the verdict the full path would reach, from the same decision
// (vault::decide on the same accesses) — with the row guard done. kFull for anything else:
// a refusal, a simulated denial, a failure, a body of another role, COPY (query) TO,
// pg_statistic — which the full path (range_table_accesses, vault_check) then decides,
// audits and explains.
Fast fast_check(List* rtable) {
  if (copy_to_query_running()) return Fast::kFull;
  bool any = false;
  ListCell* lc;
  foreach (lc, rtable) {
    const RangeTblEntry* rte = static_cast<RangeTblEntry*>(lfirst(lc));
    if (rte->rtekind != RTE_RELATION) continue;
    if (holds_value_samples(rte->relid)) return Fast::kFull;
    any = any || rte->relid >= FirstNormalObjectId;
  }
  if (!any) return Fast::kCatalogsOnly;
  if (!ensure_open() || !sync_policy() || runs_other_bodies(rtable)) return Fast::kFull;
  Gathered checked, written;
  foreach (lc, rtable) {
    const RangeTblEntry* rte = static_cast<RangeTblEntry*>(lfirst(lc));
    if (rte->rtekind != RTE_RELATION || rte->relid < FirstNormalObjectId) continue;
    MemoAccesses m;
    own(&checked);  // before the memo may move (access_memo.h)
    own(&written);
    if (!memo_accesses(rte->relid, entry_perms(rtable, rte), rte->selectedCols, rte->insertedCols,
                       rte->updatedCols, &m)) {
      return Fast::kFull;
    }
    append(&checked, m);
    if ((rte->requiredPerms & (ACL_INSERT | ACL_UPDATE | ACL_DELETE)) == 0) continue;
    own(&checked);
    own(&written);
    if (!memo_accesses(rte->relid, ACL_SELECT, whole_row(), nullptr, nullptr, &m)) {
      return Fast::kFull;
    }
    append(&written, m);
  }
  // One decision for both questions when it can be: every access is allowed (with nothing
  // to audit) exactly when each of them is, so a union allowed silently answers "allowed"
  // and "may read the written rows" at once; otherwise they are decided apart.
  const int nchecked = checked.n;
  if (written.n > 0) {
    own(&checked);
    reserve(&checked, nchecked + written.n);
    std::memcpy(checked.owned + nchecked, written.items, sizeof(vault::Access) * written.n);
    checked.items = checked.owned;
  }
  const auto span = [](const vault::Access* items, int n) {
    return std::span<const vault::Access>(items, static_cast<std::size_t>(n));
  };
  BackendState& st = backend_state();
  bool allowed = false;
  bool may_read = true;
  const bool decided = run_guarded(st.error, [&]() -> Status {
    if (written.n > 0 && st.vault->allows_silently(span(checked.items, nchecked + written.n))) {
      allowed = true;
      return ok_status();
    }
    allowed = st.vault->allows_silently(span(checked.items, nchecked));
    if (allowed && written.n > 0)
      may_read = st.vault->may_read_resolved(span(written.items, written.n));
    return ok_status();
  });
  if (!decided || !allowed) return Fast::kFull;
  if (!may_read) mark_hidden_row_values();  // as guard_row_descriptions
  return Fast::kAllowed;
}

// The check of a range table: the allow path from the memo first, else the full check — the
// accesses of a range table, skipping the system catalogs (objects made by initdb). A
// relation without required permissions (an inheritance child or partition the planner
// added) is checked as a read of the table, so a realm on a partition holds through its parent.
bool vault_check_rtable(List* rtable, bool ereport_on_violation) {
  // A parallel worker runs a range table its leader already checked, for the leader's
  // session; the worker has no vault session of its own (nor the leader's unlocks).
  if (IsParallelWorker()) return true;
  const std::uint64_t start = decision_timing_on() ? monotonic_ns() : 0;
  switch (fast_check(rtable)) {
    case Fast::kCatalogsOnly:
      return true;
    case Fast::kAllowed:
      check_trigger_owners(rtable);
      if (start != 0) decision_timing().decisions.add(monotonic_ns() - start);
      return true;
    case Fast::kFull:
      break;
  }
  PgAccessList accesses = range_table_accesses(rtable);
  if (copy_to_query_running()) add_exports_of_reads(&accesses);
  // Catalogs only: psql's \d works even when the vault cannot open.
  if (accesses.n == 0) return true;
  if (vault_check(accesses.items, accesses.n, debug_query_string, AccessCheck::kDecide)) {
    guard_row_descriptions(rtable);
    check_trigger_owners(rtable);
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
  statement_started(query);
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
