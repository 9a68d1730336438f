#include "audit/log_writer.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "audit/chain.h"
#include "crypto/random.h"

namespace dbvault::audit {

using internal::Fd;
using internal::Frame;
using internal::FrameKind;
using internal::SegmentFile;
using internal::SegmentReader;

namespace {

std::string event_id(std::uint64_t seq, Timestamp t) {
  const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(t)};
  char buf[64];
  std::snprintf(buf, sizeof buf, "evt_%04d_%02u_%02u_%llu", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<unsigned long long>(seq));
  return buf;
}

}  // namespace

Result<internal::SegmentHeader> new_segment_header(std::uint32_t key_version,
                                                   std::uint64_t first_seq) {
  internal::SegmentHeader h;
  h.key_version = key_version;
  h.first_seq = first_seq;
  DBV_RETURN_IF_ERROR(crypto::random_bytes(h.salt));
  return h;
}

Log::Writer::Writer(const LogOptions& options, AuditKeys keys)
    : options_(options), keys_(std::move(keys)) {}

Result<std::unique_ptr<Log::Writer>> Log::Writer::open(const LogOptions& options, AuditKeys keys) {
  auto writer = std::make_unique<Writer>(options, std::move(keys));
  DBV_RETURN_IF_ERROR(writer->recover());
  writer->thread_ = std::thread([w = writer.get()] { w->run(); });
  return writer;
}

Log::Writer::~Writer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard io(io_mu_);
  if (head_) {
    if (auto s = head_->sync(); !s) spdlog::error("audit: {}", s.error().message);
  }
}

Status Log::Writer::open_active(const SegmentFile& file, std::uint64_t end_offset) {
  Fd fd(::open(file.path.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.valid()) return internal::io_error("open", file.path, errno);
  auto header = internal::read_segment_header(fd.get(), file.path);
  if (!header) return std::move(header).error();
  auto aead = internal::segment_aead(keys_, header->salt);
  if (!aead) return std::move(aead).error();
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return internal::io_error("stat", file.path, errno);
  seg_fd_ = std::move(fd);
  seg_file_ = file;
  seg_aead_.emplace(std::move(*aead));
  write_offset_ = end_offset;
  capacity_ = std::max<std::uint64_t>(static_cast<std::uint64_t>(st.st_size), end_offset);
  return ok_status();
}

Status Log::Writer::rotate(std::uint64_t first_seq) {
  if (head_) DBV_RETURN_IF_ERROR(head_->sync());
  auto h = new_segment_header(keys_.tek_version, first_seq);
  if (!h) return std::move(h).error();
  SegmentFile file{options_.dir / internal::segment_file_name(first_seq), first_seq};
  auto fd = internal::create_segment_file(file.path, *h, options_.segment_bytes);
  if (!fd) return std::move(fd).error();
  return open_active(file, internal::kSegmentHeaderSize);
}

Result<std::uint64_t> Log::Writer::submit(Event event, bool sync) {
  std::unique_lock lock(mu_);
  if (failed_) return *failed_;
  if (stopping_) return make_error(sqlstate::kSystemError, "audit log unavailable: closing");
  // Back-pressure: producers faster than the disk wait instead of growing the queue unbounded.
  if (queue_.size() >= 4 * options_.max_batch) {
    space_cv_.wait(lock,
                   [&] { return queue_.size() < 4 * options_.max_batch || failed_ || stopping_; });
    if (failed_) return *failed_;
  }
  const std::uint64_t seq = next_seq_++;
  queue_.push_back(Pending{seq, std::chrono::floor<std::chrono::seconds>(options_.clock->now()),
                           std::move(event)});
  if (queue_.size() == 1) work_cv_.notify_one();
  if (!sync) return seq;
  done_cv_.wait(lock, [&] { return durable_seq_ >= seq || failed_; });
  if (durable_seq_ >= seq) return seq;
  return *failed_;
}

Status Log::Writer::flush() {
  std::unique_lock lock(mu_);
  const std::uint64_t target = next_seq_ - 1;
  done_cv_.wait(lock, [&] { return durable_seq_ >= target || failed_; });
  if (durable_seq_ >= target) return ok_status();
  return *failed_;
}

std::uint64_t Log::Writer::durable_seq() const {
  std::lock_guard lock(mu_);
  return durable_seq_;
}

Status Log::Writer::health() const {
  std::lock_guard lock(mu_);
  if (failed_) return *failed_;
  return ok_status();
}

void Log::Writer::run() {
  std::vector<Pending> batch;
  std::vector<Alert> alerts;
  while (true) {
    std::unique_lock lock(mu_);
    work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;
    const std::size_t n = std::min(queue_.size(), options_.max_batch);
    batch.assign(std::make_move_iterator(queue_.begin()),
                 std::make_move_iterator(queue_.begin() + n));
    queue_.erase(queue_.begin(), queue_.begin() + n);
    lock.unlock();
    space_cv_.notify_all();
    alerts.clear();
    Status status;
    {
      std::lock_guard io(io_mu_);
      status = write_batch(batch, alerts);
    }
    lock.lock();
    if (status) {
      durable_seq_ = batch.back().seq;
    } else {
      spdlog::error("audit: {}", status.error().message);
      failed_ = status.error();
      queue_.clear();
    }
    lock.unlock();
    done_cv_.notify_all();
    space_cv_.notify_all();
    if (options_.alerts) {
      for (const auto& alert : alerts) {
        if (auto s = options_.alerts->deliver(alert); !s) {
          spdlog::warn("audit: alert not delivered: {}", s.error().message);
        }
      }
    }
    if (!status) {
      // Refuse everything from now on; wake anyone who queued meanwhile.
      std::lock_guard again(mu_);
      queue_.clear();
    }
  }
}

Record Log::Writer::chain_record(Pending& p) {
  Record r;
  r.seq = p.seq;
  r.event_id = event_id(p.seq, p.timestamp);
  r.timestamp = p.timestamp;
  r.retention_class = options_.retention.class_name(p.event.type);
  r.retain_until = options_.retention.retain_until(p.event.type, p.timestamp);
  r.event = std::move(p.event);
  r.prev_hash = last_hash_;
  return r;
}

Status Log::Writer::commit_head(std::uint64_t seq, const ChainHash& hash) {
  if (head_) return head_->write(seq, hash);
  auto created = internal::HeadFile::create(options_.dir / "HEAD", keys_.mac_key, seq, hash);
  if (!created) return std::move(created).error();
  head_.emplace(std::move(*created));
  return ok_status();
}

// Each part of the batch that goes to one segment is written with one pwrite, flushed, and then
// named in HEAD; its last frame carries the commit mark, which is what lets recovery prove a
// HEAD write that a crash tore (docs/audit.md §4). A frame is therefore sealed only once the
// next one is known to fit in the same segment.
Status Log::Writer::write_batch(std::vector<Pending>& batch, std::vector<Alert>& alerts) {
  std::vector<std::uint8_t> buf;
  buf.reserve(batch.size() * 600);
  struct Held {
    std::uint64_t seq;
    std::vector<std::uint8_t> payload;
  };
  std::optional<Held> held;
  const auto framed = [](const std::vector<std::uint8_t>& payload) {
    return internal::kFrameHeaderSize + payload.size() + crypto::kAeadOverhead;
  };
  const auto seal_held = [&](bool commit) -> Status {
    if (!held) return ok_status();
    auto st = internal::seal_frame(*seg_aead_, FrameKind::kRecord, held->seq, held->seq, commit,
                                   held->payload, buf);
    held.reset();
    return st;
  };
  for (Pending& p : batch) {
    Record r = chain_record(p);
    const std::string canonical = canonical_json(r);
    auto hash = internal::chain_hash(keys_.mac_key, r.prev_hash, canonical);
    if (!hash) return std::move(hash).error();
    r.hash = *hash;
    auto payload = internal::encode_record_payload(r.hash, canonical);
    const std::size_t pending = buf.size() + (held ? framed(held->payload) : 0);
    if (write_offset_ + pending + framed(payload) > capacity_) {
      DBV_RETURN_IF_ERROR(seal_held(true));
      DBV_RETURN_IF_ERROR(internal::write_all(seg_fd_.get(), buf, write_offset_, seg_file_.path));
      DBV_RETURN_IF_ERROR(internal::sync_fd(seg_fd_.get(), seg_file_.path));
      DBV_RETURN_IF_ERROR(commit_head(r.seq - 1, r.prev_hash));
      buf.clear();
      DBV_RETURN_IF_ERROR(rotate(r.seq));
    } else {
      DBV_RETURN_IF_ERROR(seal_held(false));
    }
    held = Held{r.seq, std::move(payload)};
    last_hash_ = r.hash;
    if (auto alert = alert_for(r)) alerts.push_back(std::move(*alert));
  }
  DBV_RETURN_IF_ERROR(seal_held(true));
  DBV_RETURN_IF_ERROR(internal::write_all(seg_fd_.get(), buf, write_offset_, seg_file_.path));
  write_offset_ += buf.size();
  DBV_RETURN_IF_ERROR(internal::sync_fd(seg_fd_.get(), seg_file_.path));
  // HEAD is flushed before the acknowledgement (a second fdatasync): only then does "after
  // HEAD's seq" mean "never acknowledged" after a power loss (docs/audit.md §4).
  DBV_RETURN_IF_ERROR(commit_head(batch.back().seq, last_hash_));
  return head_->sync();
}

Status Log::Writer::rewrite_head() {
  std::lock_guard io(io_mu_);
  std::lock_guard lock(mu_);
  if (!head_) return make_error(sqlstate::kInternalError, "audit HEAD is not open");
  return head_->rewrite(durable_seq_, last_hash_);
}

Status Log::Writer::rewrite_for_purge(const std::vector<std::uint64_t>& seqs,
                                      std::uint64_t purge_seq) {
  if (seqs.empty()) return ok_status();
  std::lock_guard io(io_mu_);
  auto segments = internal::list_segments(options_.dir);
  if (!segments) return std::move(segments).error();
  for (std::size_t i = 0; i < segments->size(); ++i) {
    const std::uint64_t lo = (*segments)[i].first_seq;
    const std::uint64_t hi = i + 1 < segments->size() ? (*segments)[i + 1].first_seq : UINT64_MAX;
    auto it = std::lower_bound(seqs.begin(), seqs.end(), lo);
    if (it == seqs.end() || *it >= hi) continue;
    DBV_RETURN_IF_ERROR(rewrite_segment((*segments)[i], seqs, purge_seq));
  }
  return ok_status();
}

Status Log::Writer::rewrite_segment(const SegmentFile& file, const std::vector<std::uint64_t>& seqs,
                                    std::uint64_t purge_seq) {
  auto reader = SegmentReader::open(file, keys_);
  if (!reader) return std::move(reader).error();
  auto header = new_segment_header(keys_.tek_version, file.first_seq);
  if (!header) return std::move(header).error();
  auto aead = internal::segment_aead(keys_, header->salt);
  if (!aead) return std::move(aead).error();
  std::vector<std::uint8_t> buf;
  std::optional<std::pair<std::uint64_t, internal::GapPayload>> run;  // first seq, gap
  std::uint64_t run_last = 0;
  bool run_commit = false;  // a gap keeps the commit mark of the last record it replaces
  auto close_run = [&]() -> Status {
    if (!run) return ok_status();
    auto st = internal::seal_frame(*aead, FrameKind::kGap, run->first, run_last, run_commit,
                                   internal::encode_gap(run->second), buf);
    run.reset();
    return st;
  };
  while (true) {
    auto frame = reader->next();
    if (!frame) return std::move(frame).error();
    if (!*frame) break;
    const Frame& f = **frame;
    if (f.kind == FrameKind::kRecord && std::binary_search(seqs.begin(), seqs.end(), f.first_seq)) {
      if (!run || run_last + 1 != f.first_seq) {
        DBV_RETURN_IF_ERROR(close_run());
        run.emplace(f.first_seq, internal::GapPayload{{}, purge_seq});
      }
      std::copy(f.payload.begin(), f.payload.begin() + 32, run->second.checkpoint.begin());
      run_last = f.first_seq;
      run_commit = f.commit;
      continue;
    }
    DBV_RETURN_IF_ERROR(close_run());
    DBV_RETURN_IF_ERROR(
        internal::seal_frame(*aead, f.kind, f.first_seq, f.last_seq, f.commit, f.payload, buf));
  }
  DBV_RETURN_IF_ERROR(close_run());
  const bool active = file.path == seg_file_.path;
  const std::uint64_t end = internal::kSegmentHeaderSize + buf.size();
  const std::uint64_t capacity = active ? std::max(capacity_, end) : end;
  const auto tmp = std::filesystem::path(file.path.string() + ".tmp");
  auto fd = internal::create_segment_file(tmp, *header, capacity);
  if (!fd) return std::move(fd).error();
  DBV_RETURN_IF_ERROR(internal::write_all(fd->get(), buf, internal::kSegmentHeaderSize, tmp));
  DBV_RETURN_IF_ERROR(internal::sync_fd(fd->get(), tmp));
  if (::rename(tmp.c_str(), file.path.c_str()) != 0)
    return internal::io_error("rename", tmp, errno);
  DBV_RETURN_IF_ERROR(internal::sync_dir(options_.dir));
  if (active) return open_active(file, end);
  return ok_status();
}

}  // namespace dbvault::audit
