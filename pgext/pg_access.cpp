#include "pgext/pg_access.h"

#include <vector>

#include "pgext/module.h"

// PostgreSQL last: its headers define macros (snprintf, ...) that break the C++ library;
// and postgres.h first among them.
// clang-format off
extern "C" {
#include "postgres.h"

#include "access/relation.h"
#include "access/transam.h"
#include "catalog/pg_statistic.h"
#include "catalog/pg_statistic_ext_data.h"
#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"
#include "access/sysattr.h"
#include "nodes/bitmapset.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}
// clang-format on

namespace dbvault::pgext {
namespace {

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

std::vector<RelationAccess> to_relations(const PgAccess* accesses, int n) {
  std::vector<RelationAccess> relations;
  relations.reserve(n);
  for (int i = 0; i < n; ++i) {
    const PgAccess& a = accesses[i];
    RelationAccess r{a.schema, a.table, a.command, {}};
    for (int c = 0; c < a.ncolumns; ++c) r.columns.emplace_back(a.columns[c]);
    relations.push_back(std::move(r));
  }
  return relations;
}

}  // namespace

void add_access(PgAccess* out, int* n, unsigned int relid, ast::Command command, Bitmapset* cols) {
  PgAccess& a = out[(*n)++];
  a.schema = get_namespace_name(get_rel_namespace(relid));
  a.table = get_rel_name(relid);
  a.command = command;
  a.ncolumns = 0;
  a.columns = cols != nullptr ? column_names(relid, cols, &a.ncolumns) : nullptr;
  if (a.schema == nullptr) a.schema = "";
  if (a.table == nullptr) a.table = "";
}

namespace {

// pg_statistic and pg_statistic_ext_data hold samples of column values (most common
// values, histograms): through pg_stats, a table's owner reads its realm columns' data.
bool holds_value_samples(Oid relid) {
  return relid == StatisticRelationId || relid == StatisticExtDataRelationId;
}

}  // namespace

PgAccess* range_table_accesses(List* rtable, int* n) {
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

bool vault_check(const PgAccess* accesses, int n, const char* query, AccessCheck check) {
  if (!ensure_open() || !sync_policy()) return false;
  BackendState& st = backend_state();
  return run_guarded(st.error, [&]() -> Status {
    const std::vector<RelationAccess> relations = to_relations(accesses, n);
    const std::string_view text = query != nullptr ? query : "";
    switch (check) {
      case AccessCheck::kNotInRealm:
        return st.vault->refuse_realm_objects(relations);
      case AccessCheck::kExport:
        DBV_RETURN_IF_ERROR(st.vault->check(relations, text));
        return st.vault->record_export(relations, text);
      case AccessCheck::kDecide:
        break;
    }
    return st.vault->check(relations, text);
  });
}

}  // namespace dbvault::pgext
