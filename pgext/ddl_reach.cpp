#include "pgext/ddl_reach.h"

#include "pgext/module.h"
#include "pgext/pg_access.h"

// PostgreSQL last: its headers define macros (snprintf, ...) that break the C++ library;
// and postgres.h first among them.
// clang-format off
extern "C" {
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/sysattr.h"
#include "access/table.h"
#include "access/transam.h"
#include "catalog/heap.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "nodes/bitmapset.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parse_type.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}
// clang-format on

namespace dbvault::pgext {
namespace {

Oid user_table(RangeVar* rv) {
  if (rv == nullptr) return InvalidOid;
  const Oid relid = RangeVarGetRelid(rv, NoLock, true);
  return relid >= FirstNormalObjectId ? relid : InvalidOid;
}

// Checks `command` of relation `relid` (the columns in `cols`, nullptr: none) and of the
// tables its rows belong to; ereports on refusal.
void check_table(Oid relid, ast::Command command, Bitmapset* cols, const char* query) {
  if (relid < FirstNormalObjectId) return;
  PgAccessList accesses;
  add_access(&accesses, relid, command, cols, true);
  if (!vault_check(accesses.items, accesses.n, query, AccessCheck::kDecide)) {
    raise(backend_state().error);
  }
}

// Every table below `relid` (inheritance children and partitions, transitively), not
// `relid` itself, which the utility hook checks as named.
void check_below(Oid relid, ast::Command command, const char* query) {
  if (relid == InvalidOid) return;
  List* tables = find_all_inheritors(relid, NoLock, nullptr);
  ListCell* lc;
  foreach (lc, tables) {
    if (lfirst_oid(lc) != relid) check_table(lfirst_oid(lc), command, nullptr, query);
  }
}

// TRUNCATE ... CASCADE empties, transitively, every table with a foreign key to one it
// empties (and, without ONLY, the tables below each).
void check_truncate_cascade(TruncateStmt* stmt, const char* query) {
  if (stmt->behavior != DROP_CASCADE) return;
  List* emptied = NIL;
  ListCell* lc;
  foreach (lc, stmt->relations) {
    auto* rv = static_cast<RangeVar*>(lfirst(lc));
    const Oid relid = user_table(rv);
    if (relid == InvalidOid) continue;
    emptied = list_concat_unique_oid(
        emptied, rv->inh ? find_all_inheritors(relid, NoLock, nullptr) : list_make1_oid(relid));
  }
  while (emptied != NIL) {
    List* more = NIL;
    foreach (lc, heap_truncate_find_FKs(emptied)) {
      more = list_concat_unique_oid(more, find_all_inheritors(lfirst_oid(lc), NoLock, nullptr));
    }
    List* fresh = list_difference_oid(more, emptied);
    if (fresh == NIL) break;
    foreach (lc, fresh) check_table(lfirst_oid(lc), ast::Command::kTruncate, nullptr, query);
    emptied = list_concat(emptied, fresh);
  }
}

constexpr int kMaxTypeDepth = 16;

// Checks ALTER of every column whose type is `type` or is built on it (a domain over it, an
// array of it, a composite type with a column of it), found through pg_depend: a column
// depends on its type, a domain on its base type, an array type on its element type.
void check_columns_of_type(Oid type, const char* query, int depth) {
  if (depth > kMaxTypeDepth) {
    ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                    errmsg("dbvault: types nested more than %d deep", kMaxTypeDepth)));
  }
  Relation depend = table_open(DependRelationId, AccessShareLock);
  ScanKeyData key[2];
  ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber, F_OIDEQ,
              ObjectIdGetDatum(TypeRelationId));
  ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber, F_OIDEQ,
              ObjectIdGetDatum(type));
  SysScanDesc scan = systable_beginscan(depend, DependReferenceIndexId, true, nullptr, 2, key);
  List* columns = NIL;  // pairs (relation, attribute)
  List* types = NIL;
  HeapTuple tuple;
  while (HeapTupleIsValid(tuple = systable_getnext(scan))) {
    const auto* dep = reinterpret_cast<Form_pg_depend>(GETSTRUCT(tuple));
    if (dep->classid == RelationRelationId && dep->objsubid > 0) {
      columns = lappend_oid(lappend_oid(columns, dep->objid), static_cast<Oid>(dep->objsubid));
    } else if (dep->classid == TypeRelationId) {
      types = lappend_oid(types, dep->objid);
    }
  }
  systable_endscan(scan);
  table_close(depend, AccessShareLock);
  for (int i = 0; i + 1 < list_length(columns); i += 2) {
    const Oid relid = list_nth_oid(columns, i);
    const auto att = static_cast<AttrNumber>(list_nth_oid(columns, i + 1));
    if (get_rel_relkind(relid) == RELKIND_COMPOSITE_TYPE) {
      check_columns_of_type(get_rel_type_id(relid), query, depth + 1);
    } else {
      check_table(relid, ast::Command::kAlter,
                  bms_make_singleton(att - FirstLowInvalidHeapAttributeNumber), query);
    }
  }
  ListCell* lc;
  foreach (lc, types) check_columns_of_type(lfirst_oid(lc), query, depth + 1);
}

void check_type_names(List* type_names, const char* query) {
  ListCell* lc;
  foreach (lc, type_names) {
    const Oid type = LookupTypeNameOid(nullptr, static_cast<TypeName*>(lfirst(lc)), true);
    if (type >= FirstNormalObjectId) check_columns_of_type(type, query, 0);
  }
}

// ADD CONSTRAINT (C; validated unless NOT VALID, which is still checked), SET NOT NULL (O)
// and VALIDATE CONSTRAINT (V) read every value of the domain.
void check_alter_domain(AlterDomainStmt* stmt, const char* query) {
  if (stmt->subtype != 'C' && stmt->subtype != 'O' && stmt->subtype != 'V') return;
  check_type_names(list_make1(makeTypeNameFromNameList(stmt->typeName)), query);
}

void check_drop(DropStmt* stmt, const char* query) {
  ListCell* lc;
  if (stmt->removeType == OBJECT_TABLE || stmt->removeType == OBJECT_FOREIGN_TABLE) {
    foreach (lc, stmt->objects) {
      RangeVar* rv = makeRangeVarFromNameList(static_cast<List*>(lfirst(lc)));
      check_below(user_table(rv), ast::Command::kDrop, query);
    }
  } else if ((stmt->removeType == OBJECT_DOMAIN || stmt->removeType == OBJECT_TYPE) &&
             stmt->behavior == DROP_CASCADE) {
    check_type_names(stmt->objects, query);
  }
}

void check_create_statistics(CreateStatsStmt* stmt, const char* query) {
  ListCell* lc;
  foreach (lc, stmt->relations) {
    Node* from = static_cast<Node*>(lfirst(lc));
    if (!IsA(from, RangeVar)) continue;
    auto* rv = reinterpret_cast<RangeVar*>(from);
    const Oid relid = user_table(rv);
    check_table(relid, ast::Command::kAlter, nullptr, query);
    if (rv->inh) check_below(relid, ast::Command::kAlter, query);
  }
}

bool attaches_only(AlterTableStmt* stmt) {
  ListCell* lc;
  foreach (lc, stmt->cmds) {
    const auto* cmd = static_cast<AlterTableCmd*>(lfirst(lc));
    if (cmd->subtype != AT_AttachPartition && cmd->subtype != AT_DetachPartition) return false;
  }
  return stmt->cmds != NIL;
}

// ALTER TABLE without ONLY recurses into every table below. ATTACH / DETACH PARTITION does
// not (the utility hook checks the partition named), but ATTACH scans the default partition
// for rows that would now belong to the new one (its error is an oracle).
void check_alter_table_reach(AlterTableStmt* stmt, const char* query) {
  const Oid relid = user_table(stmt->relation);
  if (relid == InvalidOid) return;
  if (!attaches_only(stmt)) {
    if (stmt->relation->inh) check_below(relid, ast::Command::kAlter, query);
    return;
  }
  if (get_rel_relkind(relid) != RELKIND_PARTITIONED_TABLE) return;
  const Oid fallback = get_default_partition_oid(relid);
  if (OidIsValid(fallback)) check_table(fallback, ast::Command::kAlter, nullptr, query);
}

}  // namespace

void check_ddl_reach(Node* node, const char* query) {
  switch (nodeTag(node)) {
    case T_AlterTableStmt:
      return check_alter_table_reach(reinterpret_cast<AlterTableStmt*>(node), query);
    case T_IndexStmt: {
      auto* s = reinterpret_cast<IndexStmt*>(node);
      if (s->relation != nullptr && s->relation->inh) {
        check_below(user_table(s->relation), ast::Command::kAlter, query);
      }
      return;
    }
    case T_TruncateStmt:
      return check_truncate_cascade(reinterpret_cast<TruncateStmt*>(node), query);
    case T_AlterDomainStmt:
      return check_alter_domain(reinterpret_cast<AlterDomainStmt*>(node), query);
    case T_DropStmt:
      return check_drop(reinterpret_cast<DropStmt*>(node), query);
    case T_CreateStatsStmt:
      return check_create_statistics(reinterpret_cast<CreateStatsStmt*>(node), query);
    default:
      return;
  }
}

}  // namespace dbvault::pgext
