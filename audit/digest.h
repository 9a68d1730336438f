// Audit digests: a short, MAC'ed statement "the chain had this hash at this seq at this time",
// printed by `dbvault audit digest` and meant to be kept outside the data directory (a SIEM, a
// ticket, a WORM bucket). `dbvault audit verify --digest F` then proves that the log still holds
// every record up to each digest of F: a log that is shorter, forked (another hash at that seq)
// or rolled back with the other stores is found, which no check inside the data directory can
// do. The idea is SQL Server Ledger's database digest; the format is our own (docs/audit.md §10).
//
// One digest is one JSON line:
//   {"dbvault_audit_digest":1,"seq":N,"hash":"<64 hex>","time":"<RFC 3339>","mac":"<64 hex>"}
// mac = HMAC-SHA256(digest_key, "dbvault audit digest v1" | seq | hash | time), digest_key being
// derived from the audit TEK with its own label (audit/keys.h): only a holder of the MEK can make
// one, and a digest cannot pass for a HEAD slot or an anchor.
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "audit/event.h"
#include "audit/keys.h"
#include "common/result.h"

namespace dbvault::audit {

struct Digest {
  std::uint64_t seq = 0;
  ChainHash hash{};
  Timestamp time{};
  ChainHash mac{};
};

// A digest of (seq, hash) taken at `time`, MAC'ed.
Result<Digest> make_digest(const AuditKeys& keys, std::uint64_t seq, const ChainHash& hash,
                           Timestamp time);
// True when `digest.mac` is the MAC of its fields under these keys (constant-time compare).
bool digest_authentic(const AuditKeys& keys, const Digest& digest);
// The JSON line (no newline).
std::string format_digest(const Digest& digest);
// 22023 naming what is wrong when `line` is not a digest line.
Result<Digest> parse_digest(std::string_view line);

}  // namespace dbvault::audit
