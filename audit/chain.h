// Internal to audit/: the hash chain and record frames (docs/audit.md §2, §4).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "audit/event.h"
#include "audit/segment.h"
#include "crypto/mac.h"

namespace dbvault::audit::internal {

// HMAC-SHA256(mac_key, prev_hash || canonical).
Result<ChainHash> chain_hash(const crypto::SecretBytes& mac_key, const ChainHash& prev,
                             std::string_view canonical);

// HMAC-SHA256(key, label || 0 || seq(8) || hash(32) || extra(8)), integers little-endian: the
// MAC of a statement about the chain head (an anchor, a digest). Each use has its own key and
// label, so a tag made for one cannot pass for another.
Result<ChainHash> mark_mac(const crypto::SecretBytes& key, std::string_view label,
                           std::uint64_t seq, const ChainHash& hash, std::uint64_t extra);

// The first record of every store (seq 1, audit_anchor, action "genesis"; docs/audit.md §4).
bool is_genesis(const Record& record);

struct DecodedRecord {
  Record record;          // hash from the frame
  std::string canonical;  // the bytes the hash covers
};

// XX001 if the payload is not hash || canonical JSON.
Result<DecodedRecord> decode_record_frame(const Frame& frame);

// hash || canonical: a record frame's payload.
std::vector<std::uint8_t> encode_record_payload(const ChainHash& hash, std::string_view canonical);

}  // namespace dbvault::audit::internal
