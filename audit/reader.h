// LogReader: read-only access to an audit store (audit/ of a data directory) — scanning records
// in seq order and verifying the whole chain. Used by the Log itself, by the SQL view and by
// `dbvault audit verify|export`, which may run while a server appends (they never read past the
// last durable seq).
//
// Thread-safety: a LogReader may be used from several threads at once (each call opens its own
// file handles).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <string>

#include "audit/digest.h"
#include "audit/event.h"
#include "audit/keys.h"
#include "common/result.h"

namespace dbvault::audit {

struct ScanOptions {
  std::uint64_t from_seq = 1;
  std::uint64_t to_seq = std::numeric_limits<std::uint64_t>::max();
};

struct VerifyReport {
  bool ok = true;
  std::uint64_t records = 0;   // records checked
  std::uint64_t purged = 0;    // seqs covered by purge checkpoints (gaps)
  std::uint64_t last_seq = 0;  // last seq found in the segments
  std::uint64_t head_seq = 0;  // last durable seq recorded in HEAD
  ChainHash head_hash{};       // its hash
  std::uint64_t digests = 0;   // digests (VerifyOptions) found on the chain
  std::uint64_t first_bad_seq =
      0;                // when !ok: the first seq that is missing, altered or out of place
  std::string problem;  // when !ok: what is wrong (no record content)
};

struct VerifyOptions {
  // Each must authenticate (digest_key) and name a (seq, hash) the chain still holds.
  std::vector<Digest> digests;
};

// Visits records; return false to stop.
using RecordVisitor = std::function<bool(const Record&)>;

class LogReader {
 public:
  // `audit_dir` is <data-dir>/audit. 42704 if it does not exist.
  static Result<std::shared_ptr<LogReader>> open(const std::filesystem::path& audit_dir,
                                                 AuditKeys keys);

  // Calls `visit` for every stored record with from_seq <= seq <= to_seq, in seq order, never
  // past HEAD's seq at the time of the call (purged seqs are skipped). XX001 when a frame cannot
  // be read or authenticated (run verify() to locate it); 58000 on an I/O error.
  Status scan(const ScanOptions& options, const RecordVisitor& visit) const;

  // Walks the whole chain: it begins with the genesis record (or a purge checkpoint), every
  // frame authenticates, seqs are dense, every record's HMAC and prev_hash link hold (across
  // purge checkpoints), every checkpoint names an audit_purge record, HEAD passes the tail rules
  // (audit/tail.h: nothing acknowledged is missing, no HEAD slot lost without a proven crash)
  // and its slots name hashes on the chain, and every digest of `options` is on the chain. A
  // broken chain is a report with ok == false, not an error; errors are for an unreadable
  // directory (58000).
  Result<VerifyReport> verify(const VerifyOptions& options = {}) const;

  // `dbvault audit digest`: verifies the chain, then returns a digest of HEAD's (seq, hash) at
  // `now`. XX001 (naming the problem) if the chain is broken: a digest vouches for a sound log.
  Result<Digest> digest(Timestamp now) const;

  // The last durable seq (HEAD). 0 for an empty store.
  Result<std::uint64_t> durable_seq() const;

  const std::filesystem::path& dir() const { return dir_; }

  // Only open() makes these.
  LogReader(std::filesystem::path dir, AuditKeys keys)
      : dir_(std::move(dir)), keys_(std::move(keys)) {}

  // Internal: scan bounded by `bound` instead of HEAD (the Log passes its durable seq).
  Status scan_bounded(const ScanOptions& options, std::uint64_t bound,
                      const RecordVisitor& visit) const;

 private:
  std::filesystem::path dir_;
  AuditKeys keys_;
};

}  // namespace dbvault::audit
