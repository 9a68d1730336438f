#include "pgext/executor_hook.h"

#include "pgext/module.h"

// PostgreSQL last: its headers define macros (snprintf, ...) that break the C++ library;
// and postgres.h first among them.
// clang-format off
extern "C" {
#include "postgres.h"

#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/relation.h"
#include "access/sysattr.h"
#include "access/transam.h"
#include "executor/executor.h"
#include "nodes/bitmapset.h"
#include "nodes/parsenodes.h"
#include "tcop/tcopprot.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}
// clang-format on

namespace dbvault::pgext {
namespace {

ExecutorCheckPerms_hook_type g_prev_check_perms = nullptr;

// One (relation, command) with its columns, as plain C values (palloc'd in the query's
// memory context).
struct PgAccess {
  const char* schema;
  const char* table;
  ast::Command command;
  int ncolumns;
  const char** columns;
};

// The names of the columns in `cols` (attribute numbers offset as in RangeTblEntry); a
// whole-row reference stands for every column. The executor holds the relation's lock.
const char** column_names(Oid relid, Bitmapset* cols, int* n) {
  Relation rel = relation_open(relid, NoLock);
  const TupleDesc desc = RelationGetDescr(rel);
  const int natts = desc->natts;
  const char** names = static_cast<const char**>(palloc0(sizeof(char*) * (natts + 1)));
  bool* seen = static_cast<bool*>(palloc0(sizeof(bool) * (natts + 1)));
  *n = 0;
  auto add = [&](AttrNumber att) {
    if (att <= 0 || att > natts || seen[att]) return;
    seen[att] = true;
    const Form_pg_attribute a = TupleDescAttr(desc, att - 1);
    if (!a->attisdropped) names[(*n)++] = pstrdup(NameStr(a->attname));
  };
  for (int x = -1; (x = bms_next_member(cols, x)) >= 0;) {
    const AttrNumber att = x + FirstLowInvalidHeapAttributeNumber;
    if (att == InvalidAttrNumber) {
      for (AttrNumber a = 1; a <= natts; ++a) add(a);
    } else {
      add(att);
    }
  }
  relation_close(rel, NoLock);
  return names;
}

void add_access(PgAccess* out, int* n, const RangeTblEntry* rte, ast::Command command,
                Bitmapset* cols) {
  PgAccess& a = out[(*n)++];
  a.schema = get_namespace_name(get_rel_namespace(rte->relid));
  a.table = get_rel_name(rte->relid);
  a.command = command;
  a.ncolumns = 0;
  a.columns = cols != nullptr ? column_names(rte->relid, cols, &a.ncolumns) : nullptr;
  if (a.schema == nullptr) a.schema = "";
  if (a.table == nullptr) a.table = "";
}

// The accesses of a range table, skipping the system catalogs (objects made by initdb).
// A relation without required permissions (an inheritance child or partition the planner
// added) is checked as a read of the table, so a realm on a partition holds through its parent.
PgAccess* gather(List* rtable, int* n) {
  *n = 0;
  PgAccess* out = static_cast<PgAccess*>(palloc0(sizeof(PgAccess) * (4 * list_length(rtable) + 1)));
  ListCell* lc;
  foreach (lc, rtable) {
    const RangeTblEntry* rte = static_cast<RangeTblEntry*>(lfirst(lc));
    if (rte->rtekind != RTE_RELATION || rte->relid < FirstNormalObjectId) continue;
    const AclMode perms = rte->requiredPerms;
    if (perms == 0 || (perms & ACL_SELECT)) {
      add_access(out, n, rte, ast::Command::kSelect, rte->selectedCols);
    }
    if (perms & ACL_INSERT) add_access(out, n, rte, ast::Command::kInsert, rte->insertedCols);
    if (perms & ACL_UPDATE) add_access(out, n, rte, ast::Command::kUpdate, rte->updatedCols);
    if (perms & ACL_DELETE) add_access(out, n, rte, ast::Command::kDelete, nullptr);
  }
  return out;
}

bool check_accesses(const PgAccess* accesses, int n, const char* query) {
  BackendState& st = backend_state();
  return run_guarded(st.error, [&]() -> Status {
    std::vector<RelationAccess> relations;
    relations.reserve(n);
    for (int i = 0; i < n; ++i) {
      const PgAccess& a = accesses[i];
      RelationAccess r{a.schema, a.table, a.command, {}};
      for (int c = 0; c < a.ncolumns; ++c) r.columns.emplace_back(a.columns[c]);
      relations.push_back(std::move(r));
    }
    return st.vault->check(relations, query != nullptr ? query : "");
  });
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
  if (ensure_open() && sync_policy() && check_accesses(accesses, n, debug_query_string)) {
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
