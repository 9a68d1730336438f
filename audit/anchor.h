// Anchors of the audit chain outside its own directory (docs/audit.md §10 "Anchors"). An
// attacker with the disk can replace audit/ by an older, self-consistent copy; nothing inside
// the directory can tell. So the chain and the policy store vouch for each other:
//  - the audit log records every policy version (an audit_anchor record, appended durably by
//    Log::anchor_policy_version before the version commits), and
//  - the policy store keeps the Anchor of the last such record — (audit seq, hash, policy
//    version), MAC'ed under anchor_key, so that whoever edits policy.db without the MEK can only
//    replay an anchor the store once held, never make one up.
// check_anchors() compares the two at start-up: rolling either back without the other is found.
// Both rolled back together (and keys.db) is found only by a digest kept elsewhere (digest.h).
//
// Thread-safety: value types and functions that are safe to call from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "audit/event.h"
#include "common/result.h"

namespace dbvault::audit {

class Log;

struct Anchor {
  std::uint64_t audit_seq = 0;       // an audit_anchor record of the log
  ChainHash audit_hash{};            // its hash
  std::uint64_t policy_version = 0;  // the policy version that record names
  ChainHash mac{};                   // HMAC(anchor_key, "dbvault audit anchor v1" | fields)
};

// "v1:<seq>:<hash hex>:<version>:<mac hex>" — the text the policy store keeps.
std::string encode_anchor(const Anchor& anchor);
// XX001 if `text` is not encode_anchor() output (the MAC is checked by check_anchors).
Result<Anchor> decode_anchor(std::string_view text);

// What the policy store holds: its current policy version and the anchor it last stored.
struct PolicyAnchor {
  std::uint64_t policy_version = 0;
  std::optional<Anchor> anchor;  // nullopt: the store was never anchored (fresh)
};

// Ok when the log and the policy store agree:
//  - the anchor authenticates and names the store's own policy version;
//  - the log holds the anchor's record, with that hash, naming that version;
//  - no later audit_anchor record names another policy version (so neither store lost a
//    change the other saw);
//  - a store that was never anchored is at version 0 and the log records no policy version.
// Otherwise 58000 with what was rolled back and "dbvault audit recover --accept-rollback" as the
// way to accept it. REQUIRES: `log` is open. Reads from the anchor's seq to the end (the whole log
// when `policy.anchor` is absent).
Status check_anchors(const Log& log, const PolicyAnchor& policy);

}  // namespace dbvault::audit
