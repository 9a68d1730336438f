// VerdictMemo: the command-rule verdicts one session has already earned, remembered between
// its statements so that a rule checked once is not evaluated again while nothing it reads
// has changed.
//
// A rule's verdict depends only on the session's Factors (rule_index.h). Within one
// "generation" — chosen by the caller, who must start a new one whenever the rule index or
// any factor other than CURRENT_TIMESTAMP changes (a new policy snapshot: roles, rules; an
// unlock gained or lost: REALM_UNLOCKED) — the only factor that moves is time, and each
// remembered verdict carries how long it holds (time_dependence.h): forever, until the next
// UTC hour or day, or not at all. Only "allow" verdicts are remembered: a denial ends the
// statement, and a SIMULATION denial must be audited on every statement.
//
// It also remembers which (command, object) accesses were "cleared": every rule that applies
// to them was remembered as allowing when they were last checked, so the next statement
// touching them needs no rule lookup at all. Within a generation a remembered verdict never
// changes, so a cleared access stays cleared until the memo forgets everything.
//
// Cost: one bit per rule (10,000 rules: 1.25 KiB per session), and one bit per object for
// each command the session uses (100,000 objects: 12.5 KiB per command), allocated as used.
// A lookup is one bit test.
// Thread-safety: belongs to one session, used by one thread at a time.
#pragma once

#include <array>
#include <cstdint>
#include <limits>

#include "rules/ids.h"

namespace dbvault::rules {

class RuleIndex;

class VerdictMemo {
 public:
  // Prepares for a decision by `index` in `generation` at `now_us`: forgets every verdict
  // when the index or the generation differs from the last call, when a remembered verdict
  // has run out, or when the clock went back.
  void begin(const RuleIndex& index, std::uint64_t generation, std::int64_t now_us);

  // Forgets everything at the next begin() (as a new session would start).
  void forget() { index_ = nullptr; }

  // True if rule `rule` (its position in the index) was remembered as allowing.
  bool allowed(std::uint32_t rule) const { return allowed_.test(rule); }
  // Remembers that `rule` allows until `until_us` (exclusive). A verdict already out of date
  // (until_us <= now) is not remembered.
  void remember_allowed(std::uint32_t rule, std::int64_t until_us);

  // True if the access (command, object) was cleared in this generation.
  bool cleared(unsigned command, std::uint32_t object) const {
    return command < kCommands && cleared_[command].test(object);
  }
  // REQUIRES: every rule that applies to (command, object) is remembered as allowing.
  void mark_cleared(unsigned command, std::uint32_t object);

 private:
  static constexpr unsigned kCommands = 16;  // > the number of ast::Command values

  const RuleIndex* index_ = nullptr;
  std::uint64_t generation_ = 0;
  std::int64_t now_us_ = 0;
  std::int64_t until_us_ = std::numeric_limits<std::int64_t>::max();  // earliest expiry held
  IdBitset allowed_;                                                  // by rule position
  std::array<IdBitset, kCommands> cleared_;                           // by command, then object id
};

}  // namespace dbvault::rules
