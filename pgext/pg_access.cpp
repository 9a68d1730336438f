#include "pgext/pg_access.h"

#include <vector>

#include "pgext/body_owners.h"
#include "pgext/data_owners.h"
#include "pgext/module.h"

// PostgreSQL last: its headers define macros (snprintf, ...) that break the C++ library;
// and postgres.h first among them.
// clang-format off
extern "C" {
#include "postgres.h"

#include "access/relation.h"
#include "access/transam.h"
#include "catalog/pg_class.h"
#include "miscadmin.h"
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

PgAccess* append(PgAccessList* out) {
  if (out->n == out->capacity) {
    const int capacity = out->capacity == 0 ? 8 : 2 * out->capacity;
    const Size bytes = sizeof(PgAccess) * capacity;
    out->items = static_cast<PgAccess*>(out->items == nullptr ? palloc0(bytes)
                                                              : repalloc(out->items, bytes));
    out->capacity = capacity;
  }
  return &out->items[out->n++];
}

void add_named(PgAccessList* out, Oid relid, ast::Command command, const char** columns,
               int ncolumns) {
  PgAccess& a = *append(out);
  a.schema = get_namespace_name(get_rel_namespace(relid));
  a.table = get_rel_name(relid);
  a.command = command;
  a.ncolumns = ncolumns;
  a.columns = columns;
  a.as_user = InvalidOid;
  if (a.schema == nullptr) a.schema = "";
  if (a.table == nullptr) a.table = "";
}

}  // namespace

Bitmapset* whole_row() {
  return bms_make_singleton(InvalidAttrNumber - FirstLowInvalidHeapAttributeNumber);
}

void add_access(PgAccessList* out, unsigned int relid, ast::Command command, Bitmapset* cols,
                bool with_owners) {
  int ncolumns = 0;
  const char** columns = cols != nullptr ? column_names(relid, cols, &ncolumns) : nullptr;
  add_named(out, relid, command, columns, ncolumns);
  if (!with_owners) return;
  List* owners = data_owners(relid);
  // A TOAST relation holds values of every column of its table: the table is read whole.
  const bool toast = owners != NIL && get_rel_relkind(relid) == RELKIND_TOASTVALUE;
  ListCell* lc;
  foreach (lc, owners) {
    const Oid owner = lfirst_oid(lc);
    if (toast) {
      int n = 0;
      const char** all = column_names(owner, whole_row(), &n);
      add_named(out, owner, command, all, n);
    } else {
      // An ancestor's columns are its descendants' of the same name.
      add_named(out, owner, command, columns, ncolumns);
    }
  }
}

namespace {

// The permissions of the entries of `rtable` that are ancestors of `relid` (a planner-added
// child: a DELETE through the parent is a DELETE of the child); ACL_SELECT when none is.
AclMode inherited_perms(List* rtable, Oid relid) {
  List* owners = data_owners(relid);
  AclMode perms = 0;
  ListCell* lc;
  foreach (lc, rtable) {
    const RangeTblEntry* rte = static_cast<RangeTblEntry*>(lfirst(lc));
    if (rte->rtekind == RTE_RELATION && rte->requiredPerms != 0 &&
        list_member_oid(owners, rte->relid)) {
      perms |= rte->requiredPerms;
    }
  }
  return perms != 0 ? perms : ACL_SELECT;
}

// An INSERT into a partitioned table writes into whichever partition a row routes to, and
// no range table names it: every partition below counts, with the accesses the entry made
// (out->items[first..], ON CONFLICT DO UPDATE and RETURNING included), its columns by name.
void add_routing_targets(PgAccessList* out, Oid relid, int first) {
  List* targets = routing_targets(relid);
  const int last = out->n;
  ListCell* lc;
  foreach (lc, targets) {
    for (int i = first; i < last; ++i) {
      add_named(out, lfirst_oid(lc), out->items[i].command, out->items[i].columns,
                out->items[i].ncolumns);
    }
  }
}

void add_entry(PgAccessList* out, Oid relid, AclMode perms, Bitmapset* selected,
               Bitmapset* inserted, Bitmapset* updated) {
  const int first = out->n;
  if (perms & ACL_SELECT) add_access(out, relid, ast::Command::kSelect, selected, true);
  if (perms & ACL_INSERT) add_access(out, relid, ast::Command::kInsert, inserted, true);
  if (perms & ACL_UPDATE) add_access(out, relid, ast::Command::kUpdate, updated, true);
  if (perms & ACL_DELETE) add_access(out, relid, ast::Command::kDelete, nullptr, true);
  if (perms & ACL_INSERT) add_routing_targets(out, relid, first);
}

}  // namespace

void add_exports_of_reads(PgAccessList* list) {
  const int n = list->n;
  for (int i = 0; i < n; ++i) {
    if (list->items[i].command != ast::Command::kSelect) continue;
    PgAccess* exported = append(list);  // may move items: copy through the index
    *exported = list->items[i];
    exported->command = ast::Command::kExport;
  }
}

bool& copy_to_query_running() {
  static bool running = false;
  return running;
}

bool holds_value_samples(unsigned int relid) {
  return relid == StatisticRelationId || relid == StatisticExtDataRelationId;
}

unsigned int entry_perms(List* rtable, const RangeTblEntry* rte) {
  return rte->requiredPerms != 0 ? rte->requiredPerms : inherited_perms(rtable, rte->relid);
}

PgAccessList entry_accesses(unsigned int relid, unsigned int perms, Bitmapset* selected,
                            Bitmapset* inserted, Bitmapset* updated) {
  PgAccessList out;
  add_entry(&out, relid, perms, selected, inserted, updated);
  return out;
}

PgAccessList range_table_accesses(List* rtable) {
  PgAccessList out;
  ListCell* lc;
  foreach (lc, rtable) {
    const RangeTblEntry* rte = static_cast<RangeTblEntry*>(lfirst(lc));
    if (rte->rtekind == RTE_RELATION && holds_value_samples(rte->relid)) {
      ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                      errmsg("dbvault: reading %s is refused", get_rel_name(rte->relid)),
                      errdetail("It holds samples of column values, realm columns included.")));
    }
    if (rte->rtekind != RTE_RELATION || rte->relid < FirstNormalObjectId) continue;
    const int first = out.n;
    add_entry(&out, rte->relid, entry_perms(rtable, rte), rte->selectedCols, rte->insertedCols,
              rte->updatedCols);
    for (int i = first; i < out.n; ++i) out.items[i].as_user = rte->checkAsUser;
  }
  return out;
}

namespace {

bool run_check(const PgAccess* accesses, int n, const char* query, AccessCheck check,
               const char* owner) {
  BackendState& st = backend_state();
  return run_guarded(st.error, [&]() -> Status {
    const std::vector<RelationAccess> relations = to_relations(accesses, n);
    const std::string_view text = query != nullptr ? query : "";
    if (owner != nullptr) return st.vault->check_as_body_owner(owner, relations, text);
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

constexpr int kMaxBodyOwners = 64;

// Adds `role` once; false when the list is full (the statement is then refused: no body
// goes unchecked).
bool add_unique(Oid* roles, int* n, Oid role) {
  for (int i = 0; i < *n; ++i) {
    if (roles[i] == role) return true;
  }
  if (*n == kMaxBodyOwners) return false;
  roles[(*n)++] = role;
  return true;
}

bool too_many_owners() {
  return run_guarded(backend_state().error, []() -> Status {
    return make_error(sqlstate::kProgramLimitExceeded,
                      "dbvault: the statement runs bodies of too many roles to check");
  });
}

// The body check of vault_check (pg_access.h).
bool check_body_owners(const PgAccess* accesses, int n, const char* query) {
  Oid running[kMaxBodyOwners];
  const int nrunning = static_cast<int>(
      running_function_owners(reinterpret_cast<unsigned int*>(running), kMaxBodyOwners));
  Oid roles[kMaxBodyOwners];
  int nroles = 0;
  for (int i = 0; i < nrunning; ++i) {
    if (!add_unique(roles, &nroles, running[i])) return too_many_owners();
  }
  for (int i = 0; i < n; ++i) {
    if (OidIsValid(accesses[i].as_user) && !add_unique(roles, &nroles, accesses[i].as_user)) {
      return too_many_owners();
    }
  }
  for (int r = 0; r < nroles; ++r) {
    const Oid role = roles[r];
    if (own_code(role)) continue;
    bool all = false;
    for (int i = 0; i < nrunning; ++i) all = all || running[i] == role;
    PgAccessList mine;
    for (int i = 0; i < n; ++i) {
      if (all || accesses[i].as_user == role) *append(&mine) = accesses[i];
    }
    const char* name = GetUserNameFromId(role, true);
    if (!run_check(mine.items, mine.n, query, AccessCheck::kDecide, name != nullptr ? name : "")) {
      return false;
    }
  }
  return true;
}

}  // namespace

const vault::Access* vault_accesses(const PgAccess* accesses, int n, int* nresolved) {
  // Backend-lifetime storage (pg_edge.h): the edge copies it out before anything else runs.
  static std::vector<vault::Access> resolved;
  BackendState& st = backend_state();
  const bool ok = run_guarded(st.error, [&]() -> Status {
    resolved = st.vault->resolve(to_relations(accesses, n));
    return ok_status();
  });
  *nresolved = ok ? static_cast<int>(resolved.size()) : 0;
  return ok ? resolved.data() : nullptr;
}

bool vault_may_read(const PgAccess* accesses, int n) {
  if (!ensure_open() || !sync_policy()) return false;
  BackendState& st = backend_state();
  bool may = false;
  (void)run_guarded(st.error, [&]() -> Status {
    may = st.vault->may_read_rows(to_relations(accesses, n));
    return ok_status();
  });
  return may;
}

bool vault_check_as_owner(const PgAccess* accesses, int n, const char* query, unsigned int owner) {
  if (!ensure_open() || !sync_policy()) return false;
  const char* name = GetUserNameFromId(owner, true);
  return run_check(accesses, n, query, AccessCheck::kDecide, name != nullptr ? name : "");
}

bool vault_check(const PgAccess* accesses, int n, const char* query, AccessCheck check) {
  if (!ensure_open() || !sync_policy()) return false;
  if (!run_check(accesses, n, query, check, nullptr)) return false;
  return check == AccessCheck::kNotInRealm || check_body_owners(accesses, n, query);
}

}  // namespace dbvault::pgext
