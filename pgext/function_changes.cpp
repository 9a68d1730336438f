#include "pgext/function_changes.h"

#include "pgext/module.h"
#include "pgext/pg_access.h"

// PostgreSQL last: its headers define macros (snprintf, ...) that break the C++ library;
// and postgres.h first among them.
// clang-format off
extern "C" {
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/transam.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_trigger.h"
#include "nodes/parsenodes.h"
#include "parser/parse_func.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}
// clang-format on

namespace dbvault::pgext {
namespace {

// The catalogs whose objects call a function on behalf of a table, and the column naming
// that table.
struct Caller {
  Oid catalog;
  AttrNumber oid_column;
  AttrNumber table_column;
};
constexpr Caller kCallers[] = {
    {TriggerRelationId, Anum_pg_trigger_oid, Anum_pg_trigger_tgrelid},
    {ConstraintRelationId, Anum_pg_constraint_oid, Anum_pg_constraint_conrelid},
    {AttrDefaultRelationId, Anum_pg_attrdef_oid, Anum_pg_attrdef_adrelid},
    {PolicyRelationId, Anum_pg_policy_oid, Anum_pg_policy_polrelid},
    {RewriteRelationId, Anum_pg_rewrite_oid, Anum_pg_rewrite_ev_class},
};

// The table on whose behalf object (classid, objid) calls a function; InvalidOid if none.
Oid table_of(Oid classid, Oid objid) {
  if (classid == RelationRelationId) {  // an index expression or predicate
    return get_rel_relkind(objid) == RELKIND_INDEX ||
                   get_rel_relkind(objid) == RELKIND_PARTITIONED_INDEX
               ? IndexGetRelation(objid, true)
               : InvalidOid;
  }
  for (const Caller& c : kCallers) {
    if (c.catalog != classid) continue;
    Relation catalog = table_open(classid, AccessShareLock);
    Oid table = InvalidOid;
    HeapTuple tuple = get_catalog_object_by_oid(catalog, c.oid_column, objid);
    if (HeapTupleIsValid(tuple)) {
      bool isnull = false;
      const Datum d = heap_getattr(tuple, c.table_column, RelationGetDescr(catalog), &isnull);
      if (!isnull) table = DatumGetObjectId(d);
    }
    table_close(catalog, AccessShareLock);
    return table;
  }
  return InvalidOid;
}

// The tables whose definitions call function `fn` (an OID list), from pg_depend: each
// trigger, constraint, default, policy, rule and index records its dependency on the
// functions it calls.
List* calling_tables(Oid fn) {
  Relation depend = table_open(DependRelationId, AccessShareLock);
  ScanKeyData key[2];
  ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber, F_OIDEQ,
              ObjectIdGetDatum(ProcedureRelationId));
  ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber, F_OIDEQ,
              ObjectIdGetDatum(fn));
  SysScanDesc scan = systable_beginscan(depend, DependReferenceIndexId, true, nullptr, 2, key);
  List* callers = NIL;  // pairs (classid, objid)
  HeapTuple tuple;
  while (HeapTupleIsValid(tuple = systable_getnext(scan))) {
    const auto* dep = reinterpret_cast<Form_pg_depend>(GETSTRUCT(tuple));
    callers = lappend_oid(lappend_oid(callers, dep->classid), dep->objid);
  }
  systable_endscan(scan);
  table_close(depend, AccessShareLock);
  List* tables = NIL;
  for (int i = 0; i + 1 < list_length(callers); i += 2) {
    const Oid table = table_of(list_nth_oid(callers, i), list_nth_oid(callers, i + 1));
    if (table >= FirstNormalObjectId) tables = list_append_unique_oid(tables, table);
  }
  return tables;
}

void check_function(Oid fn, const char* query) {
  if (fn < FirstNormalObjectId) return;
  ListCell* lc;
  foreach (lc, calling_tables(fn)) {
    PgAccessList accesses;
    add_access(&accesses, lfirst_oid(lc), ast::Command::kAlter, nullptr, true);
    if (!vault_check(accesses.items, accesses.n, query, AccessCheck::kDecide)) {
      raise(backend_state().error);
    }
  }
}

bool is_routine(ObjectType t) {
  return t == OBJECT_FUNCTION || t == OBJECT_PROCEDURE || t == OBJECT_ROUTINE;
}

}  // namespace

void check_function_change(Node* node, const char* query) {
  switch (nodeTag(node)) {
    case T_CreateFunctionStmt: {
      auto* s = reinterpret_cast<CreateFunctionStmt*>(node);
      if (!s->replace) return;
      for (FuncCandidateList c =
               FuncnameGetCandidates(s->funcname, -1, NIL, false, false, false, true);
           c != nullptr; c = c->next) {
        check_function(c->oid, query);
      }
      return;
    }
    case T_AlterFunctionStmt: {
      auto* s = reinterpret_cast<AlterFunctionStmt*>(node);
      return check_function(LookupFuncWithArgs(s->objtype, s->func, true), query);
    }
    case T_AlterOwnerStmt: {
      auto* s = reinterpret_cast<AlterOwnerStmt*>(node);
      if (!is_routine(s->objectType)) return;
      return check_function(
          LookupFuncWithArgs(s->objectType, reinterpret_cast<ObjectWithArgs*>(s->object), true),
          query);
    }
    default:
      return;
  }
}

}  // namespace dbvault::pgext
