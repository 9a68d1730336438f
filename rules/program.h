// Internal to rules/: the flat program a CompiledPredicate runs. Nodes refer to their children
// by index; strings live in one buffer referenced by offset, so that a Program can be moved
// without invalidating anything and evaluation allocates nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "grammar/cidr.h"
#include "rules/factors.h"
#include "rules/like_pattern.h"

namespace dbvault::rules::detail {

enum class Op : std::uint8_t {
  kConst,          // value: sub = Kind, imm (bool/int/timestamp) or string at (a, b)
  kFactor,         // sub = ast::Factor
  kNot,            // a
  kAnd,            // a, b
  kOr,             // a, b
  kCompare,        // sub = ast::CompareOp; a, b
  kBetween,        // a operand, b low, c high; negated
  kIn,             // a operand; items are lists[b .. b + c); negated
  kLike,           // a operand, b pattern node; negated
  kLikeLiteral,    // a operand, b = index into likes; negated
  kIsNull,         // a; negated
  kHour,           // a
  kDayOfWeek,      // a
  kHasRole,        // a = RoleId
  kRealmUnlocked,  // a = RealmId
  kInCidr,         // a address node, b block node
  kInCidrLiteral,  // a address node, b = index into cidrs
  kRuleSet,        // a = index into rule_sets
  kFail,           // every evaluation fails with Program::failure
};

enum class Kind : std::uint8_t { kNull, kBool, kInt, kString, kTimestamp, kFault };

// Why an evaluation failed; Program::fault_error turns it into an Error.
enum class Fault : std::uint8_t {
  kNone,
  kMalformedClientIp,
  kInvalidCidr,
  kLikeEscape,
  kFailing,
};

struct Value {
  Kind kind = Kind::kNull;
  std::int64_t i = 0;  // bool (0/1), integer, timestamp (µs since epoch), or Fault
  std::string_view s;

  static Value null() { return {}; }
  static Value boolean(bool b) { return {Kind::kBool, b ? 1 : 0, {}}; }
  static Value fault(Fault f) { return {Kind::kFault, static_cast<std::int64_t>(f), {}}; }
};

struct Node {
  Op op = Op::kConst;
  std::uint8_t sub = 0;
  bool negated = false;
  std::uint32_t a = 0;
  std::uint32_t b = 0;
  std::uint32_t c = 0;
  std::int64_t imm = 0;
};

struct Program {
  std::vector<Node> nodes;
  std::uint32_t root = 0;
  std::vector<std::uint32_t> lists;  // IN items (node indices)
  std::string strings;               // literal text
  std::vector<grammar::Cidr> cidrs;  // literal IN_CIDR blocks
  std::vector<LikePattern> likes;    // literal LIKE patterns
  std::vector<std::shared_ptr<const Program>> rule_sets;
  std::optional<Error> failure;  // for Op::kFail
  std::string source;            // canonical SQL

  Value eval(std::uint32_t node, const Factors& f) const;
  Value eval(const Factors& f) const { return eval(root, f); }
  Error fault_error(Fault fault) const;
};

}  // namespace dbvault::rules::detail
