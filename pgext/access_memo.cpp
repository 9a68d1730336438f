#include "pgext/access_memo.h"

#include <cstring>

#include "pgext/backend_hash.h"
#include "pgext/module.h"
#include "pgext/pg_access.h"

// PostgreSQL last: its headers define macros (snprintf, ...) that break the C++ library;
// and postgres.h first among them.
// clang-format off
extern "C" {
#include "postgres.h"

#include "common/hashfn.h"
#include "nodes/bitmapset.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
}
// clang-format on

namespace dbvault::pgext {
namespace {

// Statement shapes are few; a backend that makes more (generated SQL) starts over.
constexpr long kMaxEntries = 4096;

// The hash key: the column sets by one hash of the three, compared in full in the entry.
struct MemoKey {
  Oid relid;
  uint32 perms;
  uint32 columns_hash;
};

struct MemoEntry {
  MemoKey key;
  Bitmapset* selected;  // copies, in g_context
  Bitmapset* inserted;
  Bitmapset* updated;
  vault::Access* items;  // in g_context
  int n;
};

MemoryContext g_context = nullptr;
HTAB* g_memo = nullptr;
// Moves on every relcache and pg_namespace invalidation.
unsigned long g_epoch = 0;
unsigned long g_memo_epoch = ~0UL;
std::uint64_t g_memo_generation = 0;  // the snapshot generation the ids belong to

void invalidate_relation(Datum, Oid) { ++g_epoch; }
void invalidate_namespace(Datum, int, uint32) { ++g_epoch; }

// The memo for snapshot `generation`, emptied first when anything moved.
HTAB* memo_for(std::uint64_t generation) {
  if (g_memo != nullptr && g_memo_epoch == g_epoch && g_memo_generation == generation &&
      hash_get_num_entries(g_memo) < kMaxEntries) {
    return g_memo;
  }
  g_memo = reset_backend_hash(&g_context, "dbvault access memo", sizeof(MemoKey), sizeof(MemoEntry),
                              256);
  g_memo_epoch = g_epoch;
  g_memo_generation = generation;
  return g_memo;
}

MemoKey key_of(Oid relid, uint32 perms, const Bitmapset* s, const Bitmapset* i,
               const Bitmapset* u) {
  MemoKey k;
  k.relid = relid;
  k.perms = perms;
  // NULL sets (most entries have one or two) hash to 0 without hashing.
  k.columns_hash =
      hash_combine(hash_combine(bms_hash_value(s), bms_hash_value(i)), bms_hash_value(u));
  return k;
}

vault::Access* copy_items(const vault::Access* items, int n) {
  auto* out = static_cast<vault::Access*>(palloc(sizeof(vault::Access) * (n > 0 ? n : 1)));
  if (n > 0) std::memcpy(out, items, sizeof(vault::Access) * n);
  return out;
}

}  // namespace

bool memo_accesses(unsigned int relid, unsigned int perms, Bitmapset* selected, Bitmapset* inserted,
                   Bitmapset* updated, MemoAccesses* out) {
  const std::uint64_t generation = backend_state().vault->snapshot_generation();
  const MemoKey key = key_of(relid, perms, selected, inserted, updated);
  bool found = false;
  auto* e = static_cast<MemoEntry*>(hash_search(memo_for(generation), &key, HASH_FIND, &found));
  if (found && bms_equal(e->selected, selected) && bms_equal(e->inserted, inserted) &&
      bms_equal(e->updated, updated)) {
    *out = MemoAccesses{e->items, e->n};
    return true;
  }
  // A miss: the catalogs (which may take locks, and so take in invalidations), then the ids.
  const unsigned long epoch = g_epoch;
  const PgAccessList gathered = entry_accesses(relid, perms, selected, inserted, updated);
  int n = 0;
  const vault::Access* resolved = vault_accesses(gathered.items, gathered.n, &n);
  if (resolved == nullptr) return false;
  if (epoch != g_epoch) {  // names read across an invalidation: use them once, keep nothing
    *out = MemoAccesses{copy_items(resolved, n), n};
    return true;
  }
  HTAB* memo = memo_for(generation);
  // Everything allocated before the entry exists: an allocation that fails leaves no entry
  // half made.
  const MemoryContext old = MemoryContextSwitchTo(g_context);
  MemoEntry made{
      key, bms_copy(selected), bms_copy(inserted), bms_copy(updated), copy_items(resolved, n), n};
  MemoryContextSwitchTo(old);
  e = static_cast<MemoEntry*>(hash_search(memo, &key, HASH_ENTER, &found));
  *e = made;
  *out = MemoAccesses{e->items, e->n};
  return true;
}

void install_access_memo() {
  CacheRegisterRelcacheCallback(invalidate_relation, 0);
  CacheRegisterSyscacheCallback(NAMESPACEOID, invalidate_namespace, 0);
}

}  // namespace dbvault::pgext
