// Internal to audit/: the rules that decide, from HEAD and what the segments hold at the end of
// the chain, which seq the store proves acknowledged — one function for the writer's recovery and
// for verify, so the two can never disagree (docs/audit.md §4 "Tail rules").
//
// The writer flushes a batch's frames, then writes the next HEAD slot, then flushes HEAD. So:
//  - intact, both slots authenticate, sit at their own positions (counter % 2) and hold
//    consecutive counters; the newer one names the last acknowledged seq;
//  - a crash during a HEAD write can leave one slot unreadable, but only after the batch that
//    slot was to name is durable: a complete batch (ending in a commit-marked frame) after the
//    remaining slot's seq proves it. Without that proof a missing slot is tampering — exactly what
//    zeroing the newer slot together with the last batch's frames looks like.
// What no rule here can see: HEAD and segments replaced together by an older, consistent copy.
// The anchors outside the directory (anchor.h, digest.h) are for that.
#pragma once

#include <cstdint>
#include <string>

#include "audit/head.h"

namespace dbvault::audit::internal {

// What the segments hold at the end of the chain.
struct ChainEnd {
  std::uint64_t last_seq = 0;           // of the last readable frame (0: the store holds none)
  ChainHash last_hash{};                // its hash (or checkpoint)
  bool last_commit = false;             // that frame carries the commit mark
  bool torn = false;                    // unreadable bytes follow it (a torn write, or damage)
  std::uint64_t segment_first_seq = 1;  // first seq of the last segment file
};

struct TailVerdict {
  bool ok = false;
  std::uint64_t acked_seq = 0;  // when ok: the last seq the store proves acknowledged
  ChainHash acked_hash{};       //   and its hash, as HEAD names it
  bool head_damaged = false;    // when ok: a slot was lost in a crash; HEAD must be rewritten
  std::uint64_t bad_seq = 0;    // when !ok: the first seq at stake
  std::string problem;          // when !ok: what is wrong (no record content)
};

// Judges `head` (nullopt: no HEAD file) against `end`. Torn bytes after the acknowledged seq are
// accepted (a write that was never acknowledged), except when a slot is missing: then nothing
// may follow the proving batch. The hash at acked_seq is the caller's to compare when it lies
// before end.last_seq.
TailVerdict judge_tail(const std::optional<HeadSlots>& head, const ChainEnd& end);

}  // namespace dbvault::audit::internal
