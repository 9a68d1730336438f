#include "pgext/planner_stats.h"

#include <span>

#include "pgext/access_memo.h"
#include "pgext/module.h"
#include "pgext/pg_access.h"

// PostgreSQL last: its headers define macros (snprintf, ...) that break the C++ library;
// and postgres.h first among them.
// clang-format off
extern "C" {
#include "postgres.h"

#include "access/sysattr.h"
#include "access/transam.h"
#include "catalog/index.h"
#include "catalog/pg_inherits.h"
#include "nodes/bitmapset.h"
#include "nodes/parsenodes.h"
#include "nodes/pathnodes.h"
#include "optimizer/plancat.h"
#include "storage/lockdefs.h"
#include "utils/acl.h"
#include "utils/selfuncs.h"
}
// clang-format on

namespace dbvault::pgext {
namespace {

get_relation_stats_hook_type g_prev_relation_stats = nullptr;
get_index_stats_hook_type g_prev_index_stats = nullptr;
get_relation_info_hook_type g_prev_relation_info = nullptr;

// Whether the session may read `cols` of `relid` (and of the tables its rows belong to) now,
// from the memo (access_memo.h): no audit, no error. False when the vault cannot decide.
bool may_read(Oid relid, Bitmapset* cols) {
  if (!ensure_open() || !sync_policy()) return false;
  MemoAccesses m;
  if (!memo_accesses(relid, ACL_SELECT, cols, nullptr, nullptr, &m)) return false;
  if (m.n == 0) return true;
  BackendState& st = backend_state();
  bool may = false;
  (void)run_guarded(st.error, [&]() -> Status {
    may = st.vault->may_read_resolved(std::span<const vault::Access>(m.items, m.n));
    return ok_status();
  });
  return may;
}

// The samples of `relid`'s statistics are of its own rows and, for a parent's inheritance
// statistics, of every table below it (`inh`): each must be readable. A table of the
// catalogs made by initdb is PostgreSQL's.
// `lockmode`: the statement's lock, taken on the tables below before their names are read
// (the planner takes the same when it expands them).
bool samples_readable(Oid relid, AttrNumber att, bool inh, LOCKMODE lockmode) {
  if (relid < FirstNormalObjectId) return true;
  Bitmapset* cols =
      att > 0 ? bms_make_singleton(att - FirstLowInvalidHeapAttributeNumber) : whole_row();
  if (!inh) return may_read(relid, cols);
  List* tables = find_all_inheritors(relid, lockmode, nullptr);
  ListCell* lc;
  foreach (lc, tables) {
    // A child's column of the same name may have another number: the whole child counts.
    const Oid table = lfirst_oid(lc);
    if (!may_read(table, table == relid ? cols : whole_row())) return false;
  }
  return true;
}

// True ("the hook answered") with no statistics tuple when the samples are not readable.
bool relation_stats(PlannerInfo* root, RangeTblEntry* rte, AttrNumber att,
                    VariableStatData* vardata) {
  if (g_prev_relation_stats != nullptr && g_prev_relation_stats(root, rte, att, vardata)) {
    return true;
  }
  if (rte->rtekind != RTE_RELATION || samples_readable(rte->relid, att, rte->inh, rte->rellockmode))
    return false;
  vardata->statsTuple = nullptr;
  return true;
}

// An index's statistics are of its expressions over the table's rows.
bool index_stats(PlannerInfo* root, Oid index, AttrNumber att, VariableStatData* vardata) {
  if (g_prev_index_stats != nullptr && g_prev_index_stats(root, index, att, vardata)) return true;
  if (index < FirstNormalObjectId) return false;
  if (samples_readable(IndexGetRelation(index, false), InvalidAttrNumber, false, NoLock))
    return false;
  vardata->statsTuple = nullptr;
  return true;
}

// Extended statistics (CREATE STATISTICS): their MCV lists hold rows of several columns.
void relation_info(PlannerInfo* root, Oid relid, bool inhparent, RelOptInfo* rel) {
  if (g_prev_relation_info != nullptr) g_prev_relation_info(root, relid, inhparent, rel);
  if (rel->statlist == NIL) return;
  const LOCKMODE lockmode = root->simple_rte_array[rel->relid]->rellockmode;
  if (!samples_readable(relid, InvalidAttrNumber, inhparent, lockmode)) {
    rel->statlist = NIL;
  }
}

}  // namespace

void install_planner_stats_hooks() {
  g_prev_relation_stats = get_relation_stats_hook;
  get_relation_stats_hook = relation_stats;
  g_prev_index_stats = get_index_stats_hook;
  get_index_stats_hook = index_stats;
  g_prev_relation_info = get_relation_info_hook;
  get_relation_info_hook = relation_info;
}

}  // namespace dbvault::pgext
