#include "audit/reader.h"

#include <map>
#include <vector>

#include "audit/chain.h"
#include "audit/head.h"
#include "audit/segment.h"

namespace dbvault::audit {
namespace {

using internal::Frame;
using internal::FrameKind;

// Verification state of one walk.
class ChainCheck {
 public:
  ChainCheck(const AuditKeys& keys, VerifyReport& report) : keys_(keys), report_(report) {}

  bool fail(std::uint64_t seq, std::string problem) {
    report_.ok = false;
    report_.first_bad_seq = seq;
    report_.problem = std::move(problem);
    return false;
  }

  std::uint64_t expected() const { return expected_; }
  const ChainHash& prev() const { return prev_; }

  bool frame(const Frame& f) {
    if (f.first_seq != expected_) {
      return fail(expected_, "seq " + std::to_string(expected_) + " is missing or out of place (found " +
                                 std::to_string(f.first_seq) + ")");
    }
    return f.kind == FrameKind::kRecord ? record(f) : gap(f);
  }

  bool finish() {
    for (const auto& [purge_seq, first] : pending_) {
      return fail(first, "purge checkpoint names seq " + std::to_string(purge_seq) +
                             ", which is not an audit_purge record covering it");
    }
    return true;
  }

 private:
  bool record(const Frame& f) {
    auto decoded = internal::decode_record_frame(f);
    if (!decoded) return fail(expected_, "record does not decode");
    const Record& r = decoded->record;
    if (r.seq != f.first_seq) return fail(expected_, "record seq differs from its frame");
    if (r.prev_hash != prev_) return fail(expected_, "prev_hash does not link to the previous record");
    auto mac = internal::chain_hash(keys_.mac_key, prev_, decoded->canonical);
    if (!mac || *mac != r.hash) return fail(expected_, "HMAC does not match");
    if (r.event.type == EventType::kAuditPurge) {
      auto it = pending_.find(r.seq);
      if (it != pending_.end()) {
        const auto first = r.event.detail.value("first_seq", std::uint64_t{0});
        const auto last = r.event.detail.value("last_seq", std::uint64_t{0});
        for (auto [lo, hi] : ranges_[r.seq]) {
          if (lo < first || hi > last) return fail(lo, "purge checkpoint outside its audit_purge range");
        }
        pending_.erase(it);
      }
    } else if (pending_.count(r.seq)) {
      return fail(pending_[r.seq], "purge checkpoint names a record that is not audit_purge");
    }
    prev_ = r.hash;
    ++report_.records;
    ++expected_;
    return true;
  }

  bool gap(const Frame& f) {
    auto g = internal::decode_gap(f.payload);
    if (!g) return fail(expected_, "purge checkpoint does not decode");
    if (g->purge_seq <= f.last_seq) return fail(expected_, "purge checkpoint names an earlier seq");
    // A purge record that was itself purged later cannot be checked any more.
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->first >= f.first_seq && it->first <= f.last_seq) {
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    pending_.emplace(g->purge_seq, f.first_seq);
    ranges_[g->purge_seq].push_back({f.first_seq, f.last_seq});
    prev_ = g->checkpoint;
    report_.purged += f.last_seq - f.first_seq + 1;
    expected_ = f.last_seq + 1;
    return true;
  }

  const AuditKeys& keys_;
  VerifyReport& report_;
  std::uint64_t expected_ = 1;
  ChainHash prev_{};
  std::map<std::uint64_t, std::uint64_t> pending_;  // purge seq -> first seq of its first gap
  std::map<std::uint64_t, std::vector<std::pair<std::uint64_t, std::uint64_t>>> ranges_;
};

}  // namespace

Result<std::shared_ptr<LogReader>> LogReader::open(const std::filesystem::path& audit_dir,
                                                   AuditKeys keys) {
  std::error_code ec;
  if (!std::filesystem::is_directory(audit_dir, ec)) {
    return make_error(sqlstate::kUndefinedObject, "no audit store in " + audit_dir.string());
  }
  return std::make_shared<LogReader>(audit_dir, std::move(keys));
}

Result<std::uint64_t> LogReader::durable_seq() const {
  auto head = internal::read_head(dir_ / "HEAD", keys_.mac_key);
  if (!head) return std::move(head).error();
  return *head ? (*head)->last_seq : 0;
}

Status LogReader::scan(const ScanOptions& options, const RecordVisitor& visit) const {
  auto bound = durable_seq();
  if (!bound) return std::move(bound).error();
  return scan_bounded(options, *bound, visit);
}

Status LogReader::scan_bounded(const ScanOptions& options, std::uint64_t bound,
                               const RecordVisitor& visit) const {
  const std::uint64_t last = std::min(options.to_seq, bound);
  if (last < options.from_seq) return ok_status();
  auto segments = internal::list_segments(dir_);
  if (!segments) return std::move(segments).error();
  for (std::size_t i = 0; i < segments->size(); ++i) {
    const auto& seg = (*segments)[i];
    if (seg.first_seq > last) break;
    if (i + 1 < segments->size() && (*segments)[i + 1].first_seq <= options.from_seq) continue;
    auto reader = internal::SegmentReader::open(seg, keys_);
    if (!reader) return std::move(reader).error();
    while (true) {
      auto frame = reader->next();
      if (!frame) return std::move(frame).error();
      if (!*frame) break;
      const Frame& f = **frame;
      if (f.first_seq > last) return ok_status();
      if (f.kind == FrameKind::kRecord && f.first_seq >= options.from_seq) {
        auto decoded = internal::decode_record_frame(f);
        if (!decoded) return std::move(decoded).error();
        if (!visit(decoded->record)) return ok_status();
      }
      if (f.last_seq >= last) return ok_status();
    }
  }
  return ok_status();
}

Result<VerifyReport> LogReader::verify() const {
  VerifyReport report;
  ChainCheck check(keys_, report);
  auto segments = internal::list_segments(dir_);
  if (!segments) return std::move(segments).error();
  for (const auto& seg : *segments) {
    if (seg.first_seq != check.expected()) {
      check.fail(check.expected(), "seq " + std::to_string(check.expected()) +
                                       " is missing (next segment starts at " +
                                       std::to_string(seg.first_seq) + ")");
      return report;
    }
    auto reader = internal::SegmentReader::open(seg, keys_);
    if (!reader) {
      check.fail(check.expected(), reader.error().message);
      return report;
    }
    while (true) {
      auto frame = reader->next();
      if (!frame) {
        check.fail(check.expected(), frame.error().message);
        return report;
      }
      if (!*frame) break;
      if (!check.frame(**frame)) return report;
    }
  }
  report.last_seq = check.expected() - 1;
  auto head = internal::read_head(dir_ / "HEAD", keys_.mac_key);
  if (!head || !*head) {
    if (report.last_seq > 0 || !head) {
      check.fail(check.expected(), head ? "HEAD is missing" : head.error().message);
      return report;
    }
    return report;
  }
  report.head_seq = (*head)->last_seq;
  if (report.head_seq > report.last_seq) {
    check.fail(check.expected(), "the store ends at seq " + std::to_string(report.last_seq) +
                                     " but seq " + std::to_string(report.head_seq) +
                                     " was acknowledged (truncated)");
    return report;
  }
  if (report.head_seq == report.last_seq && report.head_seq > 0 &&
      (*head)->last_hash != check.prev()) {
    check.fail(report.head_seq, "HEAD hash differs from the last record");
    return report;
  }
  check.finish();
  return report;
}

}  // namespace dbvault::audit
