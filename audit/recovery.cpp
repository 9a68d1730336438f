// Log::Writer::recover: opening a store — creating it, proving its tail (audit/tail.h), zeroing
// a torn write that was never acknowledged, and healing HEAD after a crash (docs/audit.md §4).
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "audit/chain.h"
#include "audit/log_writer.h"
#include "audit/tail.h"

namespace dbvault::audit {

using internal::Fd;
using internal::Frame;
using internal::FrameKind;
using internal::SegmentFile;
using internal::SegmentReader;

namespace {

// What recovery learns from one segment.
struct SegmentScan {
  std::uint64_t end_offset = internal::kSegmentHeaderSize;  // after the last good frame
  std::uint64_t frames = 0;
  std::uint64_t last_seq = 0;  // 0: no frame
  ChainHash last_hash{};
  bool last_commit = false;
  bool last_is_genesis = false;
  bool torn = false;
  std::uint64_t file_size = 0;
  std::optional<ChainHash> wanted_hash;  // the hash at the seq asked for, if in this segment
};

// Reads every frame; checks the chain links inside the segment.
Result<SegmentScan> scan_segment(const SegmentFile& file, const AuditKeys& keys,
                                 std::uint64_t wanted_seq) {
  auto reader = SegmentReader::open(file, keys);
  if (!reader) return std::move(reader).error();
  SegmentScan scan;
  scan.file_size = reader->file_size();
  std::optional<ChainHash> prev;
  while (true) {
    auto frame = reader->next();
    if (!frame) {
      if (frame.error().code != sqlstate::kDataCorrupted) return std::move(frame).error();
      scan.torn = true;
      break;
    }
    if (!*frame) break;
    const Frame& f = **frame;
    const std::uint64_t expected = scan.last_seq ? scan.last_seq + 1 : file.first_seq;
    if (f.first_seq != expected)
      return log_damaged("seq " + std::to_string(expected) + " out of place");
    scan.last_is_genesis = false;
    if (f.kind == FrameKind::kRecord) {
      auto rec = internal::decode_record_frame(f);
      if (!rec) return log_damaged("record " + std::to_string(f.first_seq) + " does not decode");
      if (prev && rec->record.prev_hash != *prev) {
        return log_damaged("chain broken at seq " + std::to_string(f.first_seq));
      }
      auto mac = internal::chain_hash(keys.mac_key, rec->record.prev_hash, rec->canonical);
      if (!mac || *mac != rec->record.hash) {
        return log_damaged("HMAC mismatch at seq " + std::to_string(f.first_seq));
      }
      scan.last_hash = rec->record.hash;
      scan.last_is_genesis = internal::is_genesis(rec->record);
    } else {
      auto gap = internal::decode_gap(f.payload);
      if (!gap) return std::move(gap).error();
      scan.last_hash = gap->checkpoint;
    }
    prev = scan.last_hash;
    scan.last_seq = f.last_seq;
    scan.last_commit = f.commit;
    scan.end_offset = f.offset + f.size;
    if (f.last_seq == wanted_seq) scan.wanted_hash = scan.last_hash;
    ++scan.frames;
  }
  return scan;
}

// A crash while creating a store leaves no HEAD and at most seg-1 holding the genesis record:
// nothing was ever acknowledged, so creating the store again loses nothing.
Result<bool> unfinished_creation(const std::vector<SegmentFile>& segments, const AuditKeys& keys) {
  if (segments.empty()) return true;
  if (segments.size() > 1 || segments[0].first_seq != 1) return false;
  auto scan = scan_segment(segments[0], keys, 0);
  if (!scan) return false;  // unreadable: not ours to remove
  return scan->frames == 0 || (scan->frames == 1 && scan->last_is_genesis);
}

}  // namespace

Error log_damaged(std::string what) {
  return make_error(sqlstate::kDataCorrupted,
                    "audit log damaged: " + std::move(what) + " (run dbvault audit verify)");
}

Status Log::Writer::recover() {
  const auto& dir = options_.dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || ::chmod(dir.c_str(), 0700) != 0)
    return internal::io_error("create", dir, ec ? ec.value() : errno);
  auto lock = internal::lock_directory(dir);
  if (!lock) return std::move(lock).error();
  dir_lock_ = std::move(*lock);
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".tmp") std::filesystem::remove(it->path(), ec);
  }
  auto head = internal::read_head(dir / "HEAD", keys_.mac_key);
  if (!head) return std::move(head).error();
  auto segments = internal::list_segments(dir);
  if (!segments) return std::move(segments).error();
  if (!*head && options_.create_if_missing) {
    auto unfinished = unfinished_creation(*segments, keys_);
    if (!unfinished) return std::move(unfinished).error();
    if (*unfinished) {
      for (const auto& seg : *segments) std::filesystem::remove(seg.path, ec);
      return create_store();
    }
  }
  if (segments->empty()) {
    const auto verdict = internal::judge_tail(*head, internal::ChainEnd{});
    return log_damaged(verdict.ok ? "every segment is missing" : verdict.problem);
  }
  return recover_tail(*head, *segments);
}

Status Log::Writer::recover_tail(const std::optional<internal::HeadSlots>& head,
                                 const std::vector<SegmentFile>& segments) {
  const std::uint64_t named = head && head->newer() ? head->newer()->last_seq : 0;
  const SegmentFile& last = segments.back();
  auto scan = scan_segment(last, keys_, named);
  if (!scan) return std::move(scan).error();
  if (scan->last_seq == 0) {  // an empty segment: the chain ends in the one before
    scan->last_seq = last.first_seq - 1;
    if (segments.size() < 2) return log_damaged("the first segment holds no genesis record");
    auto prev = scan_segment(segments[segments.size() - 2], keys_, named);
    if (!prev) return std::move(prev).error();
    if (prev->torn || prev->last_seq != scan->last_seq) return log_damaged("segment boundary");
    scan->last_hash = prev->last_hash;
    scan->last_commit = prev->last_commit;
    scan->wanted_hash = prev->wanted_hash;
  }
  internal::ChainEnd end{scan->last_seq, scan->last_hash, scan->last_commit, scan->torn,
                         last.first_seq};
  auto verdict = internal::judge_tail(head, end);
  if (verdict.ok && scan->wanted_hash && *scan->wanted_hash != verdict.acked_hash) {
    verdict = internal::TailVerdict{};
    verdict.problem = "HEAD does not match the record at seq " + std::to_string(named);
  }
  if (!verdict.ok) {
    if (!options_.accept_unproven_tail) return log_damaged(verdict.problem);
    spdlog::warn("audit: accepting a damaged tail: {}", verdict.problem);
    accepted_ = verdict.problem;
  }
  if (scan->torn) {
    spdlog::warn("audit: discarding a torn write after seq {}", scan->last_seq);
    Fd fd(::open(last.path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd.valid()) return internal::io_error("open", last.path, errno);
    const std::vector<std::uint8_t> zeros(scan->file_size - scan->end_offset, 0);
    DBV_RETURN_IF_ERROR(internal::write_all(fd.get(), zeros, scan->end_offset, last.path));
    DBV_RETURN_IF_ERROR(internal::sync_fd(fd.get(), last.path));
  }
  last_hash_ = scan->last_hash;
  next_seq_ = scan->last_seq + 1;
  durable_seq_ = scan->last_seq;
  DBV_RETURN_IF_ERROR(open_active(last, scan->end_offset));
  if (!head) return ok_status();  // accepted: the first batch creates HEAD
  const auto newer = head->newer();
  auto head_file = internal::HeadFile::open(options_.dir / "HEAD", keys_.mac_key,
                                            newer ? *newer : internal::HeadState{});
  if (!head_file) return std::move(head_file).error();
  head_.emplace(std::move(*head_file));
  // After an accepted tail Log::open first records what was accepted, then rewrites HEAD.
  if (!accepted_ && (verdict.head_damaged || verdict.acked_seq != durable_seq_)) {
    return head_->rewrite(durable_seq_, last_hash_);
  }
  return ok_status();
}

Status Log::Writer::create_store() {
  auto h = new_segment_header(keys_.tek_version, 1);
  if (!h) return std::move(h).error();
  SegmentFile file{options_.dir / internal::segment_file_name(1), 1};
  auto fd = internal::create_segment_file(file.path, *h, options_.segment_bytes);
  if (!fd) return std::move(fd).error();
  DBV_RETURN_IF_ERROR(open_active(file, internal::kSegmentHeaderSize));
  Event genesis;
  genesis.type = EventType::kAuditAnchor;
  genesis.detail = {{"action", "genesis"}, {"format", internal::kFormatVersion}};
  std::vector<Pending> batch;
  batch.push_back(Pending{1, std::chrono::floor<std::chrono::seconds>(options_.clock->now()),
                          normalise_event(std::move(genesis))});
  std::vector<Alert> alerts;
  DBV_RETURN_IF_ERROR(write_batch(batch, alerts));  // creates HEAD once the record is durable
  next_seq_ = 2;
  durable_seq_ = 1;
  spdlog::info("audit: created a new store in {}", options_.dir.string());
  return ok_status();
}
}  // namespace dbvault::audit
