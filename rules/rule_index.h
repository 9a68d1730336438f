// RuleIndex: the command rules of one policy snapshot, indexed by what they protect, and the
// decision "do the command rules let this session run this statement?".
//
// Matching. An access (command, object) is checked against, in this order:
//   1. rules ON COLUMN/TABLE naming the object itself,
//   2. rules ON TABLE naming the table the object is a column of (ObjectAccess::table),
//   3. rules ON REALM r for each realm r in ObjectAccess::realms (ascending realm id),
//   4. rules ON ANY,
// each group in ascending rule id, keeping only rules whose commands include the access's
// command (FOR ALL matches every command). DISABLED rules are not indexed. At login
// (evaluate_login) the rules checked are those FOR CONNECT, whatever their target, and those
// FOR ALL ON ANY.
//
// Deciding. Accesses are checked in the order given. A rule's verdict depends only on the
// session's Factors, so each rule is checked at most once per decision. The first ENABLED rule
// that denies ends the decision; a SIMULATION rule that denies is recorded in
// RuleDecision::simulated and the decision goes on (SIMULATION never denies).
//
// Cost: no allocation and no lock on the allow path (a SIMULATION denial appends to a
// vector). Thread-safety: immutable after construction; share it (e.g. in the vault's policy
// snapshot) and call the const methods from any number of threads.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "grammar/ast.h"
#include "rules/command_rule.h"
#include "rules/factors.h"
#include "rules/ids.h"
#include "rules/time_dependence.h"
#include "rules/verdict_memo.h"

namespace dbvault::rules {

// One (command, object) of a statement's access set.
struct ObjectAccess {
  ast::Command command = ast::Command::kSelect;
  ObjectId object = kNoId;
  ObjectId table = kNoId;  // the table `object` is a column of; kNoId when it is a table
  BitsetView realms;       // every realm protecting the object (a column: its table's too)
};

// A rule that denied (or, SIMULATION, would have denied).
struct RuleHit {
  const CommandRule* rule = nullptr;  // points into the index: valid while the index lives
  ast::Command command = ast::Command::kSelect;
  ObjectId object = kNoId;  // kNoId at login
  RuleReason reason = RuleReason::kConditionTrue;
};

struct RuleDecision {
  std::optional<RuleHit> denial;   // empty: the command rules allow the statement
  std::vector<RuleHit> simulated;  // SIMULATION rules that would have denied, for the audit log

  bool allowed() const { return !denial.has_value(); }
  // 42501 with the rule's MESSAGE as the message; the detail names the rule and its target.
  // REQUIRES: !allowed().
  Error error() const;
};

enum class ExplainVerdict : std::uint8_t { kAllow, kDeny, kSimulatedDeny };
std::string_view explain_verdict_name(ExplainVerdict v);  // "ALLOW", "DENY", "SIMULATED DENY"

// One row of EXPLAIN VAULT per rule checked against an access.
struct ExplainRow {
  RuleId rule = kNoId;
  std::string rule_name;
  ast::Command command = ast::Command::kSelect;
  ObjectId object = kNoId;  // kNoId at login
  ExplainVerdict verdict = ExplainVerdict::kAllow;
  std::string why;  // e.g. "ON REALM pii; condition is TRUE: program_name = 'export_tool'"
};

class RuleIndex {
 public:
  RuleIndex() = default;  // no rules: allows everything
  // REQUIRES: distinct rule ids. DISABLED rules are dropped.
  explicit RuleIndex(std::vector<CommandRule> rules);

  RuleDecision evaluate(std::span<const ObjectAccess> accesses, const Factors& factors) const;
  // The same decision, skipping the rules `memo` remembers as allowing and remembering the
  // ones that allow now (verdict_memo.h says when the caller must change `generation`).
  RuleDecision evaluate(std::span<const ObjectAccess> accesses, const Factors& factors,
                        VerdictMemo& memo, std::uint64_t generation) const;
  RuleDecision evaluate_login(const Factors& factors) const;

  // Every rule checked, one row per (access, rule), not stopping at the first denial and
  // without the once-per-decision shortcut: what EXPLAIN VAULT shows.
  std::vector<ExplainRow> explain(std::span<const ObjectAccess> accesses,
                                  const Factors& factors) const;
  std::vector<ExplainRow> explain_login(const Factors& factors) const;

  // The rules that apply to `access`, in checking order (a rule may appear more than once,
  // e.g. when it protects two realms the object is in).
  std::vector<const CommandRule*> applicable(const ObjectAccess& access) const;

  const CommandRule* find(RuleId id) const;  // nullptr if absent or DISABLED
  std::size_t size() const { return rules_.size(); }

 private:
  struct Entry {
    std::uint32_t rule;  // index into rules_
    CommandMask commands;
  };
  // Compressed rows: the entries of id i are entries[offsets[i] .. offsets[i + 1]).
  struct Postings {
    std::vector<std::uint32_t> offsets;
    std::vector<Entry> entries;
    std::span<const Entry> of(std::uint32_t id) const;
    static Postings build(const std::vector<std::pair<std::uint32_t, Entry>>& pairs);
  };

  // Calls visit(entry) for each candidate entry of `access` (any command) in checking
  // order, until visit returns true; returns true if it stopped early. skip_realms leaves out
  // the ON REALM rules.
  template <typename Visit>
  bool for_each_candidate(const ObjectAccess& access, Visit&& visit,
                          bool skip_realms = false) const;
  template <bool kMemo>
  RuleDecision evaluate_with(std::span<const ObjectAccess> accesses, const Factors& factors,
                             VerdictMemo* memo) const;
  void prefetch(std::uint32_t rule, int stage) const;
  ExplainRow explain_row(const CommandRule& rule, ast::Command command, ObjectId object,
                         const Factors& f) const;

  std::vector<CommandRule> rules_;                // ascending id
  std::vector<const detail::Program*> programs_;  // rules_[i].condition's program, or nullptr
  std::vector<detail::TimeDependence> time_;      // of rules_[i]'s verdict
  Postings by_object_;
  Postings by_realm_;
  std::vector<std::uint64_t> realms_with_rules_;  // bitset: realms that have any rule
  std::vector<Entry> any_;
  std::vector<Entry> login_;
};

}  // namespace dbvault::rules
