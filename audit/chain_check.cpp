#include "audit/chain_check.h"

#include "audit/chain.h"

namespace dbvault::audit::internal {

bool ChainCheck::fail(std::uint64_t seq, std::string problem) {
  if (!report_.ok) return false;  // keep the first problem
  report_.ok = false;
  report_.first_bad_seq = seq;
  report_.problem = std::move(problem);
  return false;
}

void ChainCheck::expect(std::uint64_t seq, const ChainHash& hash, std::string who, bool purged_ok) {
  expected_hashes_.emplace(seq, Expectation{hash, std::move(who), purged_ok});
}

bool ChainCheck::frame(const Frame& f) {
  if (f.first_seq != expected_) {
    return fail(expected_, "seq " + std::to_string(expected_) +
                               " is missing or out of place (found " + std::to_string(f.first_seq) +
                               ")");
  }
  last_commit_ = f.commit;
  return f.kind == FrameKind::kRecord ? record(f) : gap(f);
}

bool ChainCheck::met(std::uint64_t seq, const ChainHash& hash) {
  const auto [lo, hi] = expected_hashes_.equal_range(seq);
  for (auto it = lo; it != hi; ++it) {
    if (it->second.hash != hash) {
      return fail(seq, it->second.who + " names another hash at seq " + std::to_string(seq) +
                           " (the log was replaced or forked)");
    }
  }
  expected_hashes_.erase(lo, hi);
  return true;
}

bool ChainCheck::finish() {
  for (const auto& [purge_seq, first] : pending_) {
    return fail(first, "purge checkpoint names seq " + std::to_string(purge_seq) +
                           ", which is not an audit_purge record covering it");
  }
  for (const auto& [seq, e] : expected_hashes_) {
    return fail(expected_, e.who + " names seq " + std::to_string(seq) +
                               " but the log ends at seq " + std::to_string(expected_ - 1) +
                               " (truncated or rolled back)");
  }
  return true;
}

bool ChainCheck::record(const Frame& f) {
  auto decoded = decode_record_frame(f);
  if (!decoded) return fail(expected_, "record does not decode");
  const Record& r = decoded->record;
  if (r.seq != f.first_seq) return fail(expected_, "record seq differs from its frame");
  if (r.seq == 1 && !is_genesis(r)) return fail(1, "seq 1 is not the store's genesis record");
  if (r.prev_hash != prev_)
    return fail(expected_, "prev_hash does not link to the previous record");
  auto mac = chain_hash(keys_.mac_key, prev_, decoded->canonical);
  if (!mac || *mac != r.hash) return fail(expected_, "HMAC does not match");
  if (r.event.type == EventType::kAuditPurge) {
    auto it = pending_.find(r.seq);
    if (it != pending_.end()) {
      const auto first = r.event.detail.value("first_seq", std::uint64_t{0});
      const auto last = r.event.detail.value("last_seq", std::uint64_t{0});
      for (auto [lo, hi] : ranges_[r.seq]) {
        if (lo < first || hi > last)
          return fail(lo, "purge checkpoint outside its audit_purge range");
      }
      pending_.erase(it);
    }
  } else if (pending_.count(r.seq)) {
    return fail(pending_[r.seq], "purge checkpoint names a record that is not audit_purge");
  }
  if (!met(r.seq, r.hash)) return false;
  prev_ = r.hash;
  ++report_.records;
  ++expected_;
  return true;
}

bool ChainCheck::gap(const Frame& f) {
  auto g = decode_gap(f.payload);
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
  // Only the gap's last seq keeps its hash (the checkpoint); the others cannot be checked.
  for (auto it = expected_hashes_.lower_bound(f.first_seq);
       it != expected_hashes_.end() && it->first < f.last_seq;) {
    if (!it->second.purged_ok) {
      return fail(it->first, it->second.who + " names seq " + std::to_string(it->first) +
                                 ", which was purged: it can no longer be checked");
    }
    it = expected_hashes_.erase(it);
  }
  if (!met(f.last_seq, g->checkpoint)) return false;
  pending_.emplace(g->purge_seq, f.first_seq);
  ranges_[g->purge_seq].push_back({f.first_seq, f.last_seq});
  prev_ = g->checkpoint;
  report_.purged += f.last_seq - f.first_seq + 1;
  expected_ = f.last_seq + 1;
  return true;
}

}  // namespace dbvault::audit::internal
