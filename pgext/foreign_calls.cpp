#include "pgext/foreign_calls.h"

#include "pgext/body_owners.h"
#include "pgext/data_owners.h"
#include "pgext/module.h"
#include "pgext/pg_access.h"

// PostgreSQL last: its headers define macros (snprintf, ...) that break the C++ library;
// and postgres.h first among them.
// clang-format off
extern "C" {
#include "postgres.h"

#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/relation.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_proc.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/tcopprot.h"
#include "utils/rel.h"
#include "utils/syscache.h"
}
// clang-format on

namespace dbvault::pgext {
namespace {

ExecutorEnd_hook_type g_prev_executor_end = nullptr;

constexpr int kMaxChecked = 8;
struct Running {
  QueryDesc* query;
  int nest_level;            // the (sub)transaction it started in
  Oid checked[kMaxChecked];  // owners already admitted for it
  int nchecked;
};
constexpr int kMaxStatements = 1024;
Running g_statements[kMaxStatements];
int g_nstatements = 0;
bool g_checking = false;  // a check runs: no re-entry from functions it might call

bool has_user_relation(List* rtable) {
  ListCell* lc;
  foreach (lc, rtable) {
    const RangeTblEntry* rte = static_cast<RangeTblEntry*>(lfirst(lc));
    if (rte->rtekind == RTE_RELATION && rte->relid >= FirstNormalObjectId) return true;
  }
  return false;
}

void check_as(Oid owner, const PgAccessList& accesses) {
  if (accesses.n == 0) return;
  g_checking = true;
  const bool ok = vault_check_as_owner(accesses.items, accesses.n, debug_query_string, owner);
  g_checking = false;
  if (!ok) raise(backend_state().error);
}

bool admitted_before(const Running& s, Oid owner) {
  for (int i = 0; i < s.nchecked; ++i) {
    if (s.checked[i] == owner) return true;
  }
  return false;
}

void forget_from(int nest_level) {
  while (g_nstatements > 0 && g_statements[g_nstatements - 1].nest_level >= nest_level) {
    --g_nstatements;
  }
}

void on_xact(XactEvent event, void*) {
  if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
      event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
      event == XACT_EVENT_PREPARE) {
    g_nstatements = 0;
    g_checking = false;
  }
}

void on_subxact(SubXactEvent event, SubTransactionId, SubTransactionId, void*) {
  if (event == SUBXACT_EVENT_ABORT_SUB) {
    forget_from(GetCurrentTransactionNestLevel());
    g_checking = false;
  }
}

void executor_end(QueryDesc* query) {
  statement_ended(query);
  if (g_prev_executor_end != nullptr) {
    g_prev_executor_end(query);
  } else {
    standard_ExecutorEnd(query);
  }
}

// The owner of function `fn` when it is another role's code (not own_code); InvalidOid
// otherwise.
Oid foreign_owner(Oid fn) {
  if (fn < FirstNormalObjectId) return InvalidOid;
  HeapTuple tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
  if (!HeapTupleIsValid(tuple)) return InvalidOid;
  const Oid owner = reinterpret_cast<Form_pg_proc>(GETSTRUCT(tuple))->proowner;
  ReleaseSysCache(tuple);
  return own_code(owner) ? InvalidOid : owner;
}

void check_triggers_of(Oid relid) {
  Relation rel = relation_open(relid, NoLock);
  const TriggerDesc* triggers = rel->trigdesc;
  Oid owners[kMaxChecked];
  int nowners = 0;
  bool more = false;
  for (int i = 0; triggers != nullptr && i < triggers->numtriggers; ++i) {
    const Oid owner = foreign_owner(triggers->triggers[i].tgfoid);
    if (!OidIsValid(owner)) continue;
    bool seen = false;
    for (int o = 0; o < nowners; ++o) seen = seen || owners[o] == owner;
    if (seen) continue;
    if (nowners == kMaxChecked) {
      more = true;
      break;
    }
    owners[nowners++] = owner;
  }
  relation_close(rel, NoLock);
  if (more) {
    ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                    errmsg("dbvault: the triggers of one table have functions of more than %d "
                           "other roles",
                           kMaxChecked)));
  }
  if (nowners == 0) return;
  PgAccessList rows;
  add_access(&rows, relid, ast::Command::kSelect, whole_row(), true);
  for (int o = 0; o < nowners; ++o) check_as(owners[o], rows);
}

}  // namespace

void statement_started(QueryDesc* query) {
  if (!has_user_relation(query->plannedstmt->rtable)) return;
  if (g_nstatements == kMaxStatements) {
    ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                    errmsg("dbvault: more than %d statements nested", kMaxStatements)));
  }
  g_statements[g_nstatements++] = Running{query, GetCurrentTransactionNestLevel(), {}, 0};
}

void statement_ended(QueryDesc* query) {
  for (int i = g_nstatements - 1; i >= 0; --i) {
    if (g_statements[i].query != query) continue;
    for (int j = i; j + 1 < g_nstatements; ++j) g_statements[j] = g_statements[j + 1];
    --g_nstatements;
    return;
  }
}

void check_call_of(unsigned int owner) {
  if (g_checking || IsParallelWorker()) return;
  for (int i = 0; i < g_nstatements; ++i) {
    Running& s = g_statements[i];
    if (admitted_before(s, owner)) continue;
    check_as(owner, range_table_accesses(s.query->plannedstmt->rtable));
    if (s.nchecked < kMaxChecked) s.checked[s.nchecked++] = owner;
  }
}

void check_trigger_owners(List* rtable) {
  ListCell* lc;
  foreach (lc, rtable) {
    const RangeTblEntry* rte = static_cast<RangeTblEntry*>(lfirst(lc));
    if (rte->rtekind != RTE_RELATION || rte->relid < FirstNormalObjectId) continue;
    // A child the planner added (an UPDATE through the parent) has its parent's permissions.
    const unsigned int perms = entry_perms(rtable, rte);
    if ((perms & (ACL_INSERT | ACL_UPDATE | ACL_DELETE)) == 0) continue;
    check_triggers_of(rte->relid);
    if ((perms & ACL_INSERT) == 0) continue;
    // Rows inserted into a partitioned table are routed into partitions no entry names.
    ListCell* t;
    foreach (t, routing_targets(rte->relid)) check_triggers_of(lfirst_oid(t));
  }
}

void install_foreign_calls() {
  g_prev_executor_end = ExecutorEnd_hook;
  ExecutorEnd_hook = executor_end;
  RegisterXactCallback(on_xact, nullptr);
  RegisterSubXactCallback(on_subxact, nullptr);
}

}  // namespace dbvault::pgext
