// audit::Log — the tamper-evident, encrypted audit log of one data directory (docs/audit.md).
//
// Writes go through one writer thread with group commit: events queued by any thread are
// serialised, chained (hash = HMAC(mac_key, prev_hash || canonical JSON)), sealed and written as
// one batch, fdatasync'ed, HEAD written and fdatasync'ed, and only then acknowledged.
// append_sync() returns after its record is durable; an operation gated on a record (unlock,
// emergency access, rule violation) must be refused when it returns an error (58000). After any
// write or sync failure the log stops accepting events (every later call fails with 58000) until
// it is reopened: after a failed fsync the state of the file is unknown, so the only safe answer
// is to refuse.
//
// Nothing deletes or changes records except purge(), which removes only records past
// retain_until and outside every legal hold, logs an audit_purge record first, and leaves a
// checkpoint so the chain still verifies.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "audit/alert.h"
#include "audit/anchor.h"
#include "audit/event.h"
#include "audit/keys.h"
#include "audit/reader.h"
#include "audit/retention.h"
#include "common/clock.h"
#include "common/result.h"

namespace dbvault::audit {

struct LogOptions {
  std::filesystem::path dir;  // <data-dir>/audit, created 0700 if missing
  // Create a new store (its genesis record) when `dir` holds none. Only `dbvault init` sets it:
  // for everyone else a store without HEAD and segments was wiped, and open() refuses (XX001).
  bool create_if_missing = false;
  // `dbvault audit recover` only: instead of refusing a tail that fails the tail rules
  // (audit/tail.h: a lost HEAD slot without a proven crash, HEAD past the end, ...), accept the
  // store as it ends and record that in an audit_anchor record before anything else is written.
  bool accept_unproven_tail = false;
  const Clock* clock = nullptr;            // REQUIRED; timestamps and retention
  RetentionPolicy retention;               // defaults: 7 years, emergency_access 10
  std::uint64_t segment_bytes = 16 << 20;  // preallocated size of a segment file
  std::size_t max_batch = 8192;            // events per group commit at most
  std::shared_ptr<AlertSink> alerts;       // optional: alert_for() records, verify failures
};

// Who performs a hold or purge (recorded in its audit record).
struct Actor {
  std::string user;
  std::string ip_address;
  std::string session_id;
};

// CREATE AUDIT HOLD name FROM from TO to REASON reason: records whose timestamp lies in
// [from, to] are never purged while the hold exists.
struct HoldSpec {
  std::string name;
  Timestamp from{};
  Timestamp to{};
  std::string reason;
};

struct Hold {
  HoldSpec spec;
  std::string created_by;
  Timestamp created_at{};
  std::uint64_t seq = 0;  // of its audit_hold record
};

struct PurgeReport {
  std::uint64_t purged = 0;     // records removed
  std::uint64_t purge_seq = 0;  // seq of the audit_purge record
  Timestamp cutoff{};           // records with retain_until before this were eligible
};

class Log {
 public:
  // Opens the store (creating it, with its genesis record, only with create_if_missing) and
  // recovers it: a torn tail past the last acknowledged record is zeroed and a HEAD slot lost in
  // a crash is rewritten; damage at or before the acknowledged end, a wiped store, or a tail the
  // writer cannot prove (audit/tail.h) is XX001 (and nothing is written). 55000 if another
  // process has the store open for writing; 0A000 for a format-1 store; 58000 if the directory
  // cannot be created or written. REQUIRES: options.clock.
  static Result<std::unique_ptr<Log>> open(LogOptions options, AuditKeys keys);
  ~Log();  // writes what is queued, syncs HEAD, stops the writer
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // Queues `event` (timestamped now) and returns its seq; it becomes durable with the next
  // group commit. 22023 if the event is invalid (validate_event) or of a type only the log
  // writes (audit_hold, audit_purge); 58000 if the log has failed.
  Result<std::uint64_t> append(Event event);
  // As append(), and returns only once the record is durable. 58000 if it could not be
  // written: the caller must refuse the operation the record was for.
  Result<std::uint64_t> append_sync(Event event);
  // Waits until every event queued so far is durable (58000 if the log failed).
  Status flush();

  // Legal holds (CREATE / DROP AUDIT HOLD). Each writes an audit_hold record durably and
  // returns its seq. 42710: a hold of that name exists; 22023: from > to or an empty name;
  // 42704: no such hold (unless if_exists, which returns 0).
  Result<std::uint64_t> add_hold(const HoldSpec& hold, const Actor& actor);
  Result<std::uint64_t> drop_hold(const std::string& name, const Actor& actor,
                                  bool if_exists = false);
  Result<std::vector<Hold>> holds();

  // Retention purge at clock->now(): writes an audit_purge record (even if nothing is
  // eligible), then removes every record whose retain_until is past and whose timestamp lies
  // in no hold (a live hold's own audit_hold record is kept too). Appends wait meanwhile.
  Result<PurgeReport> purge(const Actor& actor);

  // VERIFY AUDIT LOG: flushes, then walks the whole chain (LogReader::verify). A broken chain
  // also goes to the alert sink.
  Result<VerifyReport> verify();

  // Anchors (audit/anchor.h). Appends, durably, an audit_anchor record naming `policy_version`
  // and returns its MAC'ed anchor for the policy store. 58000 if the log cannot write.
  Result<Anchor> anchor_policy_version(std::uint64_t policy_version);
  // `dbvault audit recover --accept-rollback`: appends, durably, an audit_anchor record saying
  // that `actor` accepted `problem` (what check_anchors found), with the policy store at
  // `policy_version`, and returns its anchor. The record names no secret; `reason` is free text.
  Result<Anchor> accept_rollback(const Actor& actor, const std::string& problem,
                                 std::uint64_t policy_version, const std::string& reason);
  // True when `anchor` carries a valid MAC under this log's anchor key.
  bool anchor_authentic(const Anchor& anchor) const;
  // What open() accepted with accept_unproven_tail (and recorded), if anything.
  const std::optional<std::string>& accepted_tail() const { return accepted_tail_; }

  // Reads records (never past the last durable seq).
  Status scan(const ScanOptions& options, const RecordVisitor& visit) const;
  // A reader of this store (for the SQL view); it reads only durable records.
  std::shared_ptr<LogReader> reader() const { return reader_; }
  std::uint64_t durable_seq() const;
  // Ok, or the error that stopped the log.
  Status health() const;
  // A consistent copy of the store (HEAD and every segment file) into the existing, empty
  // directory `to`, for a backup (docs/encryption.md §10): flushes, then holds the writer's I/O
  // lock while it copies, so no batch is half in the copy (appends queue meanwhile and are
  // acknowledged once it is done). 58030 on I/O errors; 58000 if the log has failed.
  Status copy_store_to(const std::filesystem::path& to);

  class Writer;  // log_writer.cpp

 private:
  Log(LogOptions options, crypto::SecretBytes anchor_key, std::shared_ptr<LogReader> reader,
      std::unique_ptr<Writer> writer);
  Result<std::uint64_t> enqueue(Event event, bool sync);
  Status load_holds();
  Result<std::uint64_t> rewrite_for_purge(const std::vector<std::uint64_t>& seqs,
                                          std::uint64_t purge_seq);
  // Appends an audit_anchor record (durably) and returns its anchor.
  Result<Anchor> append_anchor(Event event, std::uint64_t policy_version);
  Status record_accepted_tail();

  LogOptions options_;
  crypto::SecretBytes anchor_key_;
  std::shared_ptr<LogReader> reader_;
  std::unique_ptr<Writer> writer_;
  std::mutex holds_mu_;  // serialises hold changes and purges
  bool holds_loaded_ = false;
  std::map<std::string, Hold> holds_;
  std::optional<std::string> accepted_tail_;
};

}  // namespace dbvault::audit
