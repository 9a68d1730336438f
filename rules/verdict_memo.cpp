#include "rules/verdict_memo.h"

#include <algorithm>

#include "rules/rule_index.h"

namespace dbvault::rules {

void VerdictMemo::begin(const RuleIndex& index, std::uint64_t generation, std::int64_t now_us) {
  // A clock that went back may have left the period a verdict was valid for: forget.
  const bool fresh =
      index_ == &index && generation_ == generation && now_us >= now_us_ && now_us < until_us_;
  now_us_ = now_us;
  if (fresh) return;
  index_ = &index;
  generation_ = generation;
  until_us_ = std::numeric_limits<std::int64_t>::max();
  allowed_.clear();
  for (auto& bits : cleared_) bits.clear();
}

void VerdictMemo::remember_allowed(std::uint32_t rule, std::int64_t until_us) {
  if (until_us <= now_us_) return;
  allowed_.set(rule);
  until_us_ = std::min(until_us_, until_us);
}

void VerdictMemo::mark_cleared(unsigned command, std::uint32_t object) {
  // Bounded memory: an object id beyond 64 Mi (8 MiB of bits) is simply not remembered.
  constexpr std::uint32_t kMaxObject = std::uint32_t{1} << 26;
  if (command >= kCommands || object >= kMaxObject) return;
  cleared_[command].set(object);
}

}  // namespace dbvault::rules
