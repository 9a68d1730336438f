// The vault's accesses of one range-table entry, memoised per backend: what
// entry_accesses() gathers from the catalogs (the relation's schema, name and column names,
// its data owners and routing targets, pg_access.h) and BackendVault::resolve() turns into
// object ids, kept by (relation, permissions, selected / inserted / updated columns), so that
// a statement the session may run costs no catalog lookup, no name and no string
// (docs/postgresql.md, "Performance").
//
// Only names are memoised, never a decision: the realm and command-rule decision is made
// for every statement from the session's state (unlocks, their expiry, LOCK REALM) by
// vault::decide. The memo forgets everything
//   - when any relation cache entry is invalidated (a rename of a table or column, DROP,
//     ALTER, ATTACH / DETACH PARTITION, INHERIT: PostgreSQL invalidates the relations they
//     change, in this backend at once and in the others before their next lock);
//   - when a schema changes (ALTER SCHEMA ... RENAME: pg_namespace's syscache);
//   - when the vault publishes a new policy snapshot (object ids are per snapshot:
//     BackendVault::snapshot_generation);
//   - past kMaxEntries entries;
// and an entry computed while an invalidation arrived is used once and not kept.
// Internal to pgext/. Thread-safety: one backend, one thread.
#pragma once

#include "vault/decision.h"

struct Bitmapset;

namespace dbvault::pgext {

struct MemoAccesses {
  const vault::Access* items = nullptr;  // valid until the next memo_accesses() call
  int n = 0;
};

// The accesses of an entry of relation `relid` with permissions `perms` (AclMode) and the
// entry's column sets. REQUIRES: the backend's vault is open (ensure_open) and current
// (sync_policy); the caller holds a lock on `relid`. False with backend_state().error set
// when the names could not be resolved. Calls PostgreSQL on a miss (may ereport).
bool memo_accesses(unsigned int relid, unsigned int perms, Bitmapset* selected, Bitmapset* inserted,
                   Bitmapset* updated, MemoAccesses* out);

// Registers the invalidation callbacks (once, from _PG_init).
void install_access_memo();

}  // namespace dbvault::pgext
