#include "rules/rule_index.h"

#include <algorithm>
#include <array>
#include <cassert>

#include "rules/program.h"

namespace dbvault::rules {
namespace {

// The rules already checked in one decision: a small open-addressing set on the stack. Past
// its capacity it stops remembering, and a rule is simply checked again (same verdict, more
// time). Its slots are cleared on first use: with a VerdictMemo most decisions never need it.
class CheckedRules {
 public:
  // True if `rule` was seen before; otherwise remembers it.
  bool seen(std::uint32_t rule) {
    if (!cleared_) {
      slots_.fill(kNoId);
      cleared_ = true;
    }
    std::size_t i = (rule * 0x9E3779B1U) >> (32 - kBits);
    for (std::size_t probes = 0; probes < kSlots; ++probes, i = (i + 1) & (kSlots - 1)) {
      if (slots_[i] == rule) return true;
      if (slots_[i] == kNoId) {
        if (used_ < kSlots / 2) {
          slots_[i] = rule;
          ++used_;
        }
        return false;
      }
    }
    return false;
  }

 private:
  static constexpr unsigned kBits = 7;
  static constexpr std::size_t kSlots = std::size_t{1} << kBits;
  std::array<std::uint32_t, kSlots> slots_;
  bool cleared_ = false;
  std::size_t used_ = 0;
};

// Records a denial by `rule`. Returns true when the decision is final (ENABLED deny).
bool record_denial(const CommandRule& rule, RuleCheck v, ast::Command command, ObjectId object,
                   RuleDecision& d) {
  const RuleHit hit{&rule, command, object, v.reason};
  if (rule.state == ast::ObjectState::kSimulation) {
    d.simulated.push_back(hit);
    return false;
  }
  d.denial = hit;
  return true;
}

}  // namespace

std::span<const RuleIndex::Entry> RuleIndex::Postings::of(std::uint32_t id) const {
  if (std::size_t{id} + 1 >= offsets.size()) return {};
  return std::span<const Entry>(entries).subspan(offsets[id], offsets[id + 1] - offsets[id]);
}

RuleIndex::Postings RuleIndex::Postings::build(
    const std::vector<std::pair<std::uint32_t, Entry>>& pairs) {
  Postings p;
  std::uint32_t max_id = 0;
  for (const auto& [id, e] : pairs) max_id = std::max(max_id, id);
  if (pairs.empty()) return p;
  p.offsets.assign(static_cast<std::size_t>(max_id) + 2, 0);
  for (const auto& [id, e] : pairs) ++p.offsets[id + 1];
  for (std::size_t i = 1; i < p.offsets.size(); ++i) p.offsets[i] += p.offsets[i - 1];
  p.entries.resize(pairs.size());
  std::vector<std::uint32_t> fill(p.offsets.begin(), p.offsets.end() - 1);
  for (const auto& [id, e] : pairs) p.entries[fill[id]++] = e;  // pairs are in rule order
  return p;
}

RuleIndex::RuleIndex(std::vector<CommandRule> rules) {
  std::erase_if(rules, [](const CommandRule& r) { return r.state == ast::ObjectState::kDisabled; });
  std::sort(rules.begin(), rules.end(),
            [](const CommandRule& a, const CommandRule& b) { return a.id < b.id; });
  rules_ = std::move(rules);
  std::vector<std::pair<std::uint32_t, Entry>> objects;
  std::vector<std::pair<std::uint32_t, Entry>> realms;
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const CommandRule& r = rules_[i];
    assert(i == 0 || rules_[i - 1].id != r.id);
    const Entry e{static_cast<std::uint32_t>(i), r.commands};
    if (r.at_login) login_.push_back(e);
    switch (r.target) {
      case ast::RuleTarget::Kind::kTable:
      case ast::RuleTarget::Kind::kColumn:
        objects.emplace_back(r.target_id, e);
        break;
      case ast::RuleTarget::Kind::kRealm: {
        realms.emplace_back(r.target_id, e);
        const std::size_t w = r.target_id / 64;
        if (w >= realms_with_rules_.size()) realms_with_rules_.resize(w + 1, 0);
        realms_with_rules_[w] |= std::uint64_t{1} << (r.target_id % 64);
        break;
      }
      case ast::RuleTarget::Kind::kAny:
        any_.push_back(e);
        break;
    }
  }
  for (const CommandRule& r : rules_) {
    programs_.push_back(r.condition ? r.condition->program() : nullptr);
    time_.push_back(programs_.back() != nullptr ? detail::time_dependence(*programs_.back())
                                                : detail::TimeDependence::kNone);
  }
  by_object_ = Postings::build(objects);
  by_realm_ = Postings::build(realms);
}

template <typename Visit>
bool RuleIndex::for_each_candidate(const ObjectAccess& access, Visit&& visit,
                                   bool skip_realms) const {
  const auto each = [&](std::span<const Entry> entries) {
    for (const Entry& e : entries) {
      if (visit(e)) return true;
    }
    return false;
  };
  if (each(by_object_.of(access.object))) return true;
  if (access.table != kNoId && access.table != access.object && each(by_object_.of(access.table))) {
    return true;
  }
  // Realms the object is in AND realms that have rules, a word at a time.
  const auto words = access.realms.words();
  const std::size_t n = skip_realms ? 0 : std::min(words.size(), realms_with_rules_.size());
  for (std::size_t w = 0; w < n; ++w) {
    for (std::uint64_t bits = words[w] & realms_with_rules_[w]; bits != 0; bits &= bits - 1) {
      const auto realm =
          static_cast<std::uint32_t>(w * 64 + static_cast<unsigned>(__builtin_ctzll(bits)));
      if (each(by_realm_.of(realm))) return true;
    }
  }
  return each(any_);
}

RuleDecision RuleIndex::evaluate(std::span<const ObjectAccess> accesses, const Factors& f) const {
  return evaluate_with<false>(accesses, f, nullptr);
}

RuleDecision RuleIndex::evaluate(std::span<const ObjectAccess> accesses, const Factors& f,
                                 VerdictMemo& memo, std::uint64_t generation) const {
  memo.begin(*this, generation, f.now.time_since_epoch().count());
  return evaluate_with<true>(accesses, f, &memo);
}

// Rules are gathered for a whole statement first and their data prefetched before any is
// checked: the rules of a decision are scattered over the snapshot, and overlapping their cache
// misses matters more than anything else on this path.
template <bool kMemo>
RuleDecision RuleIndex::evaluate_with(std::span<const ObjectAccess> accesses, const Factors& f,
                                      VerdictMemo* memo) const {
  const std::int64_t now_us = f.now.time_since_epoch().count();
  struct Candidate {
    std::uint32_t rule;
    std::uint32_t access;
  };
  constexpr std::size_t kBatch = 64;
  std::array<Candidate, kBatch> batch;
  std::size_t n = 0;
  RuleDecision d;
  CheckedRules checked;
  const auto flush = [&] {
    for (std::size_t i = 0; i < n; ++i) prefetch(batch[i].rule, 0);
    for (std::size_t i = 0; i < n; ++i) prefetch(batch[i].rule, 1);
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t rule = batch[i].rule;
      const RuleCheck v = rules_[rule].check(f);
      if (!v.denies) {
        if constexpr (kMemo) {
          memo->remember_allowed(rule, detail::verdict_valid_until(time_[rule], now_us));
        }
        continue;
      }
      const ObjectAccess& a = accesses[batch[i].access];
      if (record_denial(rules_[rule], v, a.command, a.object, d)) return true;
    }
    n = 0;
    return false;
  };
  // Two cheap short-cuts before the checked-rules set: the ON ANY rules (first 64) are
  // remembered in a bit mask, and an access with the same realms and command as the one
  // before it (a table and its columns) skips the realm rules it would only find checked.
  std::uint64_t any_done = 0;
  const std::uint64_t* last_realms = nullptr;
  CommandMask last_want = 0;
  bool last_clean = false;
  for (std::uint32_t ai = 0; ai < accesses.size(); ++ai) {
    const ObjectAccess& access = accesses[ai];
    const auto command = static_cast<unsigned>(access.command);
    const CommandMask want = command_mask(access.command);
    const std::uint64_t* realms = access.realms.words().data();
    const bool same_realms = realms != nullptr && realms == last_realms && want == last_want;
    if (kMemo && memo->cleared(command, access.object)) {
      last_realms = nullptr;  // its realm rules were not visited now
      continue;
    }
    // Clean: every rule of this access is remembered as allowing (the realm rules skipped
    // with same_realms are those of the access before, so they count only if it was clean).
    bool clean = kMemo && (!same_realms || last_clean);
    last_realms = realms;
    last_want = want;
    const bool done = for_each_candidate(
        access,
        [&](const Entry& e) {
          if ((e.commands & want) == 0) return false;
          if (kMemo && memo->allowed(e.rule)) return false;
          clean = false;
          const auto any = static_cast<std::size_t>(&e - any_.data());
          if (any < std::min<std::size_t>(any_.size(), 64)) {
            if ((any_done >> any) & 1U) return false;
            any_done |= std::uint64_t{1} << any;
          } else if (checked.seen(e.rule)) {
            return false;
          }
          batch[n++] = {e.rule, ai};
          return n == kBatch && flush();
        },
        same_realms);
    if (done) return d;
    if constexpr (kMemo) {
      if (clean) memo->mark_cleared(command, access.object);
    }
    last_clean = clean;
  }
  flush();
  return d;
}

// Stage 0: the rule and its program's header; stage 1: the program's nodes.
void RuleIndex::prefetch(std::uint32_t rule, int stage) const {
  const detail::Program* p = programs_[rule];
  if (stage == 0) {
    const auto* r = reinterpret_cast<const char*>(&rules_[rule]);
    __builtin_prefetch(r);
    __builtin_prefetch(r + 64);
    if (p != nullptr) __builtin_prefetch(p);
  } else if (p != nullptr) {
    __builtin_prefetch(p->nodes.data());
    __builtin_prefetch(reinterpret_cast<const char*>(p->nodes.data()) + 64);
  }
}

RuleDecision RuleIndex::evaluate_login(const Factors& f) const {
  RuleDecision d;
  for (const Entry& e : login_) {
    const RuleCheck v = rules_[e.rule].check(f);
    if (v.denies && record_denial(rules_[e.rule], v, ast::Command::kConnect, kNoId, d)) break;
  }
  return d;
}

ExplainRow RuleIndex::explain_row(const CommandRule& rule, ast::Command command, ObjectId object,
                                  const Factors& f) const {
  ExplainRow row{rule.id, rule.name, command, object, ExplainVerdict::kAllow, {}};
  RuleCheck v;
  row.why = "ON " + rule.target_text + "; " + rule.explain(f, &v);
  if (v.denies) {
    const bool sim = rule.state == ast::ObjectState::kSimulation;
    row.verdict = sim ? ExplainVerdict::kSimulatedDeny : ExplainVerdict::kDeny;
    if (sim) row.why += " (SIMULATION: allowed, audited)";
  }
  return row;
}

std::vector<ExplainRow> RuleIndex::explain(std::span<const ObjectAccess> accesses,
                                           const Factors& f) const {
  std::vector<ExplainRow> rows;
  for (const ObjectAccess& a : accesses) {
    const CommandMask want = command_mask(a.command);
    for_each_candidate(a, [&](const Entry& e) {
      if ((e.commands & want) != 0)
        rows.push_back(explain_row(rules_[e.rule], a.command, a.object, f));
      return false;
    });
  }
  return rows;
}

std::vector<ExplainRow> RuleIndex::explain_login(const Factors& f) const {
  std::vector<ExplainRow> rows;
  for (const Entry& e : login_) {
    rows.push_back(explain_row(rules_[e.rule], ast::Command::kConnect, kNoId, f));
  }
  return rows;
}

std::vector<const CommandRule*> RuleIndex::applicable(const ObjectAccess& access) const {
  std::vector<const CommandRule*> out;
  const CommandMask want = command_mask(access.command);
  for_each_candidate(access, [&](const Entry& e) {
    if ((e.commands & want) != 0) out.push_back(&rules_[e.rule]);
    return false;
  });
  return out;
}

const CommandRule* RuleIndex::find(RuleId id) const {
  auto it = std::lower_bound(rules_.begin(), rules_.end(), id,
                             [](const CommandRule& r, RuleId v) { return r.id < v; });
  return it != rules_.end() && it->id == id ? &*it : nullptr;
}

Error RuleDecision::error() const {
  assert(denial.has_value());
  const CommandRule& r = *denial->rule;
  Error e = make_error(sqlstate::kInsufficientPrivilege, r.message);
  e.detail = "denied by command rule \"" + r.name + "\" (FOR " +
             std::string(command_name(denial->command)) + " ON " + r.target_text + ")";
  return e;
}

std::string_view explain_verdict_name(ExplainVerdict v) {
  switch (v) {
    case ExplainVerdict::kAllow:
      return "ALLOW";
    case ExplainVerdict::kDeny:
      return "DENY";
    case ExplainVerdict::kSimulatedDeny:
      return "SIMULATED DENY";
  }
  return "?";
}

}  // namespace dbvault::rules
