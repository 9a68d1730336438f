#include "pgext/data_owners.h"

#include "pgext/backend_hash.h"

// PostgreSQL last: its headers define macros (snprintf, ...) that break the C++ library;
// and postgres.h first among them.
// clang-format off
extern "C" {
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "nodes/pg_list.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
}
// clang-format on

namespace dbvault::pgext {
namespace {

struct CacheEntry {
  Oid relid;  // the hash key
  bool owners_known;
  bool targets_known;
  List* owners;   // in g_context
  List* targets;  // in g_context
};

MemoryContext g_context = nullptr;
HTAB* g_cache = nullptr;
// Moves on every relcache invalidation: a lookup that started before a move is not cached.
unsigned long g_epoch = 0;
unsigned long g_cache_epoch = ~0UL;

void invalidate(Datum, Oid) { ++g_epoch; }

CacheEntry* entry_for(Oid relid) {
  if (g_cache == nullptr || g_cache_epoch != g_epoch) {
    g_cache =
        reset_backend_hash(&g_context, "dbvault data owners", sizeof(Oid), sizeof(CacheEntry), 64);
    g_cache_epoch = g_epoch;
  }
  bool found = false;
  auto* e = static_cast<CacheEntry*>(hash_search(g_cache, &relid, HASH_ENTER, &found));
  if (!found) {
    e->owners_known = e->targets_known = false;
    e->owners = e->targets = NIL;
  }
  return e;
}

// The table whose TOAST relation `toast` is (a scan of pg_class: there is no index on
// reltoastrelid; it runs once per TOAST relation read directly, then is cached).
Oid toast_owner(Oid toast) {
  Relation classes = table_open(RelationRelationId, AccessShareLock);
  ScanKeyData key;
  ScanKeyInit(&key, Anum_pg_class_reltoastrelid, BTEqualStrategyNumber, F_OIDEQ,
              ObjectIdGetDatum(toast));
  SysScanDesc scan = systable_beginscan(classes, InvalidOid, false, nullptr, 1, &key);
  Oid owner = InvalidOid;
  HeapTuple tuple = systable_getnext(scan);
  if (HeapTupleIsValid(tuple)) owner = reinterpret_cast<Form_pg_class>(GETSTRUCT(tuple))->oid;
  systable_endscan(scan);
  table_close(classes, AccessShareLock);
  return owner;
}

// Appends the direct parents of `relid` (pg_inherits) to `out`, skipping those already there.
List* append_parents(List* out, Oid relid, Relation inherits) {
  ScanKeyData key;
  ScanKeyInit(&key, Anum_pg_inherits_inhrelid, BTEqualStrategyNumber, F_OIDEQ,
              ObjectIdGetDatum(relid));
  SysScanDesc scan =
      systable_beginscan(inherits, InheritsRelidSeqnoIndexId, true, nullptr, 1, &key);
  HeapTuple tuple;
  while (HeapTupleIsValid(tuple = systable_getnext(scan))) {
    const Oid parent = reinterpret_cast<Form_pg_inherits>(GETSTRUCT(tuple))->inhparent;
    out = list_append_unique_oid(out, parent);
  }
  systable_endscan(scan);
  return out;
}

List* compute_owners(Oid relid) {
  List* owners = NIL;
  if (get_rel_relkind(relid) == RELKIND_TOASTVALUE) {
    const Oid table = toast_owner(relid);
    if (OidIsValid(table)) owners = lappend_oid(owners, table);
  }
  Relation inherits = table_open(InheritsRelationId, AccessShareLock);
  owners = append_parents(owners, relid, inherits);
  // Breadth first: every relation appended is visited once (the list grows as it goes).
  for (int i = 0; i < list_length(owners); ++i) {
    owners = append_parents(owners, list_nth_oid(owners, i), inherits);
  }
  table_close(inherits, AccessShareLock);
  return list_delete_oid(owners, relid);
}

List* compute_targets(Oid relid) {
  if (get_rel_relkind(relid) != RELKIND_PARTITIONED_TABLE) return NIL;
  return list_delete_oid(find_all_inheritors(relid, NoLock, nullptr), relid);
}

// The cached list (copied into the caller's context), computing it on a miss. `owners`:
// data_owners, else routing_targets.
List* cached(Oid relid, bool owners) {
  const unsigned long epoch = g_epoch;
  CacheEntry* e = entry_for(relid);
  if (owners ? e->owners_known : e->targets_known)
    return list_copy(owners ? e->owners : e->targets);
  List* computed = owners ? compute_owners(relid) : compute_targets(relid);
  if (epoch != g_epoch) return computed;  // invalidated meanwhile: do not keep it
  e = entry_for(relid);
  const MemoryContext old = MemoryContextSwitchTo(g_context);
  List* kept = list_copy(computed);
  MemoryContextSwitchTo(old);
  if (owners) {
    e->owners = kept;
    e->owners_known = true;
  } else {
    e->targets = kept;
    e->targets_known = true;
  }
  return computed;
}

}  // namespace

List* data_owners(unsigned int relid) { return cached(relid, true); }

List* routing_targets(unsigned int relid) { return cached(relid, false); }

void install_data_owners_cache() { CacheRegisterRelcacheCallback(invalidate, 0); }

}  // namespace dbvault::pgext
