// The policy store's side of the audit anchors (audit/anchor.h, docs/audit.md §10): the policy
// store keeps the anchor of the last audit record it saw (settings key 'audit_anchor'), and
// every policy version is recorded in the audit log before it commits.
//
// Thread-safety: as PolicyStore; the hook installed by attach_audit_anchor() calls `log` from
// whatever thread writes the store.
#pragma once

#include "audit/anchor.h"
#include "audit/log.h"
#include "vault/policy_store.h"

namespace dbvault::vault {

// The store's policy version and the anchor it holds. XX001 if the stored anchor is malformed.
Result<audit::PolicyAnchor> load_policy_anchor(PolicyStore& store);

// Stores `anchor` (write_state: the policy version does not change).
Status store_policy_anchor(PolicyStore& store, const audit::Anchor& anchor);

// The start-up call, before the server accepts a connection:
//  1. audit::check_anchors(log, load_policy_anchor(store)) — 58000 when the policy store or the
//     audit log was rolled back without the other (the server must then refuse to start);
//  2. appends an audit_anchor record naming the current policy version and stores its anchor;
//  3. installs the store's version hook: from now on every PolicyStore::write() records the new
//     policy version in the audit log (durably) and stores its anchor in the same transaction,
//     before it commits; if the record cannot be written the change is refused (58000).
// On error nothing was installed. REQUIRES: `log` outlives every later write to `store` (or
// detach_audit_anchor() is called first).
Status attach_audit_anchor(PolicyStore& store, audit::Log& log);
void detach_audit_anchor(PolicyStore& store);

// Re-anchors the store at the log's current end (step 2 above). Call it at clean shutdown and,
// to narrow what an undetected rollback of the audit log alone could remove, periodically.
Status refresh_audit_anchor(PolicyStore& store, audit::Log& log);

}  // namespace dbvault::vault
