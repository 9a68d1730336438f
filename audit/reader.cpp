#include "audit/reader.h"

#include <vector>

#include "audit/chain.h"
#include "audit/chain_check.h"
#include "audit/head.h"
#include "audit/segment.h"
#include "audit/tail.h"

namespace dbvault::audit {

using internal::Frame;
using internal::FrameKind;

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
  if (!*head) return std::uint64_t{0};
  const auto newer = (*head)->newer();
  if (!newer) return make_error(sqlstate::kDataCorrupted, "audit HEAD does not authenticate");
  return newer->last_seq;
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

Result<VerifyReport> LogReader::verify(const VerifyOptions& options) const {
  VerifyReport report;
  internal::ChainCheck check(keys_, report);
  auto head = internal::read_head(dir_ / "HEAD", keys_.mac_key);
  if (!head) {
    check.fail(1, head.error().message);
    return report;
  }
  if (*head) {
    for (const auto& slot : (*head)->slot) {
      if (slot && slot->last_seq > 0) check.expect(slot->last_seq, slot->last_hash, "HEAD", true);
    }
  }
  for (std::size_t i = 0; i < options.digests.size(); ++i) {
    const Digest& d = options.digests[i];
    const std::string who =
        "digest " + std::to_string(i + 1) + " (seq " + std::to_string(d.seq) + ")";
    if (!digest_authentic(keys_, d)) {
      check.fail(d.seq, who +
                            ": its MAC does not match (forged, altered, or made for another "
                            "data directory)");
      return report;
    }
    check.expect(d.seq, d.hash, who, false);
  }
  auto segments = internal::list_segments(dir_);
  if (!segments) return std::move(segments).error();
  internal::ChainEnd end;
  for (std::size_t i = 0; i < segments->size(); ++i) {
    const auto& seg = (*segments)[i];
    const bool last = i + 1 == segments->size();
    if (seg.first_seq != check.expected()) {
      check.fail(check.expected(), "seq " + std::to_string(check.expected()) +
                                       " is missing (next segment starts at " +
                                       std::to_string(seg.first_seq) + ")");
      return report;
    }
    end.segment_first_seq = seg.first_seq;
    auto reader = internal::SegmentReader::open(seg, keys_);
    if (!reader) {
      check.fail(check.expected(), reader.error().message);
      return report;
    }
    while (true) {
      auto frame = reader->next();
      if (!frame) {
        // Unreadable bytes at the very end may be a write in flight or torn by a crash: the
        // tail rules decide. Anywhere else they are damage.
        if (last && frame.error().code == sqlstate::kDataCorrupted) {
          end.torn = true;
          break;
        }
        check.fail(check.expected(), frame.error().message);
        return report;
      }
      if (!*frame) break;
      if (!check.frame(**frame)) return report;
    }
  }
  report.last_seq = check.expected() - 1;
  end.last_seq = report.last_seq;
  end.last_hash = check.prev();
  end.last_commit = check.last_commit();
  const auto verdict = internal::judge_tail(*head, end);
  if (!verdict.ok) {
    check.fail(verdict.bad_seq, verdict.problem);
    return report;
  }
  report.head_seq = verdict.acked_seq;
  report.head_hash = verdict.acked_hash;
  if (check.finish()) report.digests = options.digests.size();
  return report;
}

Result<Digest> LogReader::digest(Timestamp now) const {
  auto report = verify();
  if (!report) return std::move(report).error();
  if (!report->ok) {
    return make_error(sqlstate::kDataCorrupted, "refusing to digest a broken audit log: seq " +
                                                    std::to_string(report->first_bad_seq) + ": " +
                                                    report->problem);
  }
  return make_digest(keys_, report->head_seq, report->head_hash, now);
}

}  // namespace dbvault::audit
