// Internal to audit/: the Log's single writer — queue, group commit, segments, HEAD, recovery
// (recovery.cpp) and the purge rewrite (docs/audit.md §4). Thread-safety: as Log.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "audit/head.h"
#include "audit/log.h"
#include "audit/segment.h"

namespace dbvault::audit {

// XX001 "audit log damaged: <what> (run dbvault audit verify)".
Error log_damaged(std::string what);
// A segment header with a fresh random salt.
Result<internal::SegmentHeader> new_segment_header(std::uint32_t key_version,
                                                   std::uint64_t first_seq);

class Log::Writer {
 public:
  // Recovers the store in options.dir (see Log::open) and starts the writer thread.
  static Result<std::unique_ptr<Writer>> open(const LogOptions& options, AuditKeys keys);
  ~Writer();

  // Assigns the next seq and queues the (validated, normalised) event; with `sync`, waits until
  // it is durable. 58000 once the writer failed.
  Result<std::uint64_t> submit(Event event, bool sync);
  Status flush();
  std::uint64_t durable_seq() const;
  Status health() const;
  // With LogOptions::accept_unproven_tail: what recovery accepted instead of refusing.
  const std::optional<std::string>& accepted() const { return accepted_; }
  // Writes both HEAD slots for the durable end (after an accepted tail was recorded).
  Status rewrite_head();

  // Replaces the record frames of `seqs` (sorted, all durable) by gap frames naming
  // `purge_seq`, rewriting each affected segment atomically. Appends wait meanwhile.
  Status rewrite_for_purge(const std::vector<std::uint64_t>& seqs, std::uint64_t purge_seq);
  // Copies every file of the store into `to` under the I/O lock (Log::copy_store_to).
  Status copy_files(const std::filesystem::path& to);

  Writer(const LogOptions& options, AuditKeys keys);  // use open()

 private:
  struct Pending {
    std::uint64_t seq;
    Timestamp timestamp;
    Event event;
  };

  Status recover();  // recovery.cpp
  Status recover_tail(const std::optional<internal::HeadSlots>& head,
                      const std::vector<internal::SegmentFile>& segments);
  Status create_store();
  Record chain_record(Pending& p);
  // Names (seq, hash) in HEAD — creating HEAD with the store's first batch.
  Status commit_head(std::uint64_t seq, const ChainHash& hash);
  Status open_active(const internal::SegmentFile& file, std::uint64_t end_offset);
  Status rotate(std::uint64_t first_seq);
  void run();
  Status write_batch(std::vector<Pending>& batch, std::vector<Alert>& alerts);
  Status rewrite_segment(const internal::SegmentFile& file, const std::vector<std::uint64_t>& seqs,
                         std::uint64_t purge_seq);

  LogOptions options_;
  AuditKeys keys_;
  internal::Fd dir_lock_;  // lock_directory(): the store's one writer; released last

  mutable std::mutex mu_;  // guards the queue and the counters below
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::condition_variable space_cv_;
  std::vector<Pending> queue_;
  std::uint64_t next_seq_ = 1;
  std::uint64_t durable_seq_ = 0;
  std::optional<Error> failed_;
  bool stopping_ = false;

  std::mutex io_mu_;  // guards the segment state below; held for a batch or a purge rewrite
  internal::Fd seg_fd_;
  internal::SegmentFile seg_file_;
  std::optional<crypto::Aead> seg_aead_;
  std::uint64_t write_offset_ = 0;
  std::uint64_t capacity_ = 0;
  ChainHash last_hash_{};
  std::optional<internal::HeadFile> head_;
  std::optional<std::string> accepted_;

  std::thread thread_;
};

}  // namespace dbvault::audit
