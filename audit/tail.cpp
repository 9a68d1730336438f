#include "audit/tail.h"

namespace dbvault::audit::internal {
namespace {

TailVerdict broken(std::uint64_t seq, std::string problem) {
  TailVerdict v;
  v.bad_seq = seq;
  v.problem = std::move(problem);
  return v;
}

std::string seq_text(std::uint64_t seq) { return "seq " + std::to_string(seq); }

// Both slots authenticate: they must be neighbours, each at its own position.
std::optional<TailVerdict> check_pair(const HeadSlots& head, std::uint64_t next_seq) {
  for (std::size_t i = 0; i < 2; ++i) {
    if (head.slot[i]->counter % 2 != i) {
      return broken(next_seq, "a HEAD slot was copied to the other position");
    }
  }
  const HeadState newer = *head.newer();
  const HeadState older = *head.older();
  if (newer.counter != older.counter + 1 || older.last_seq > newer.last_seq) {
    return broken(std::min(older.last_seq, newer.last_seq) + 1,
                  "HEAD slots are not consecutive (one was replaced by an older copy)");
  }
  return std::nullopt;
}

}  // namespace

TailVerdict judge_tail(const std::optional<HeadSlots>& head, const ChainEnd& end) {
  const std::uint64_t next = end.last_seq + 1;
  if (!head) {
    if (end.last_seq == 0 && !end.torn) {
      return broken(1,
                    "the audit store is empty: no HEAD and no genesis record (wiped, or never "
                    "created)");
    }
    return broken(next, "HEAD is missing");
  }
  const auto newer = head->newer();
  if (!newer) return broken(next, "audit HEAD does not authenticate");
  TailVerdict v;
  v.ok = true;
  v.acked_seq = newer->last_seq;
  v.acked_hash = newer->last_hash;
  if (head->slot[0] && head->slot[1]) {
    if (auto bad = check_pair(*head, next)) return *bad;
  } else {
    // One slot lost: only a crash while writing it, after the batch it was to name was flushed.
    if (newer->counter % 2 != (head->slot[0] ? 0u : 1u)) {
      return broken(newer->last_seq + 1, "a HEAD slot was copied to the other position");
    }
    const bool proven = end.last_seq > newer->last_seq && end.last_commit && !end.torn &&
                        newer->last_seq + 1 >= end.segment_first_seq;
    if (!proven) {
      return broken(newer->last_seq + 1, "a HEAD slot is missing and no complete batch follows " +
                                             seq_text(newer->last_seq) + " (the tail was cut off)");
    }
    v.head_damaged = true;
  }
  if (end.last_seq < v.acked_seq) {
    if (end.torn) {
      return broken(next, seq_text(next) + " does not authenticate but " + seq_text(v.acked_seq) +
                              " was acknowledged (damaged)");
    }
    return broken(next, "the store ends at " + seq_text(end.last_seq) + " but " +
                            seq_text(v.acked_seq) + " was acknowledged (truncated)");
  }
  if (end.last_seq == v.acked_seq && end.last_hash != v.acked_hash) {
    return broken(v.acked_seq, "HEAD hash differs from the last record");
  }
  return v;
}

}  // namespace dbvault::audit::internal
