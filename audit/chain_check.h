// Internal to audit/: the state of one verify walk over the frames of a store, in seq order —
// links, HMACs, purge checkpoints, the genesis record, and the (seq, hash) pairs that HEAD and
// digests expect the chain to hold (docs/audit.md §7 "Verify").
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "audit/keys.h"
#include "audit/reader.h"
#include "audit/segment.h"

namespace dbvault::audit::internal {

class ChainCheck {
 public:
  ChainCheck(const AuditKeys& keys, VerifyReport& report) : keys_(keys), report_(report) {}

  // Records the first problem in the report; returns false (so callers can `return fail(..)`).
  bool fail(std::uint64_t seq, std::string problem);
  // The chain must hold `hash` at `seq`; `who` names the expectation in a problem ("digest 2").
  // With `purged_ok`, a seq inside a purge gap is not a problem.
  void expect(std::uint64_t seq, const ChainHash& hash, std::string who, bool purged_ok);

  std::uint64_t expected() const { return expected_; }
  const ChainHash& prev() const { return prev_; }
  bool last_commit() const { return last_commit_; }

  // Checks the next frame. False once the chain is broken.
  bool frame(const Frame& f);
  // After the walk: open purge checkpoints and expectations the chain never reached.
  bool finish();

 private:
  struct Expectation {
    ChainHash hash;
    std::string who;
    bool purged_ok;
  };
  bool record(const Frame& f);
  bool gap(const Frame& f);
  bool met(std::uint64_t seq, const ChainHash& hash);

  const AuditKeys& keys_;
  VerifyReport& report_;
  std::uint64_t expected_ = 1;
  ChainHash prev_{};
  bool last_commit_ = false;
  std::map<std::uint64_t, std::uint64_t> pending_;  // purge seq -> first seq of its first gap
  std::map<std::uint64_t, std::vector<std::pair<std::uint64_t, std::uint64_t>>> ranges_;
  std::multimap<std::uint64_t, Expectation> expected_hashes_;
};

}  // namespace dbvault::audit::internal
