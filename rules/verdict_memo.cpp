#include "rules/verdict_memo.h"

#include <algorithm>

#include "rules/ids.h"
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
  allowed_.assign(index.size() / 64 + 1, 0);
  if (touched_overflow_) {
    for (auto& bits : cleared_) std::fill(bits.begin(), bits.end(), 0);
  } else {
    for (std::uint32_t t : touched_) cleared_[t >> 26][t & ((1U << 26) - 1)] = 0;
  }
  touched_.clear();
  touched_overflow_ = false;
}

void VerdictMemo::remember_allowed(std::uint32_t rule, std::int64_t until_us) {
  if (until_us <= now_us_ || rule / 64 >= allowed_.size()) return;
  allowed_[rule / 64] |= std::uint64_t{1} << (rule % 64);
  until_us_ = std::min(until_us_, until_us);
}

void VerdictMemo::mark_cleared(unsigned command, std::uint32_t object) {
  // Bounded memory: an object id beyond 64 Mi (8 MiB of bits) is simply not remembered.
  constexpr std::uint32_t kMaxObject = std::uint32_t{1} << 26;
  if (command >= kCommands || object >= kMaxObject) return;
  auto& bits = cleared_[command];
  const std::uint32_t w = object / 64;
  if (w >= bits.size()) bits.resize(w + 1, 0);
  if (bits[w] == 0) {
    if (touched_.size() < kMaxTouched) {
      touched_.push_back(command << 26 | w);
    } else {
      touched_overflow_ = true;
    }
  }
  bits[w] |= std::uint64_t{1} << (object % 64);
}

}  // namespace dbvault::rules
