#include "rules/time_dependence.h"

#include <algorithm>
#include <limits>

#include "grammar/ast_expr.h"
#include "rules/program.h"

namespace dbvault::rules::detail {
namespace {

constexpr std::int64_t kMicrosPerHour = std::int64_t{3600} * 1000 * 1000;
constexpr std::int64_t kMicrosPerDay = 24 * kMicrosPerHour;
constexpr int kMaxDepth = 64;  // rule sets nest at most 32 deep (compile.cpp)

class Walker {
 public:
  TimeDependence result = TimeDependence::kNone;

  void visit(const Program& p, std::uint32_t n, Op parent, int depth) {
    if (depth > kMaxDepth || n >= p.nodes.size()) {
      result = TimeDependence::kExact;  // not what the compiler produces: assume the worst
      return;
    }
    const Node& node = p.nodes[n];
    switch (node.op) {
      case Op::kConst:
      case Op::kHasRole:
      case Op::kRealmUnlocked:
      case Op::kFail:
        return;
      case Op::kFactor:
        if (node.sub == static_cast<std::uint8_t>(ast::Factor::kCurrentTimestamp)) {
          note(parent == Op::kHour        ? TimeDependence::kHour
               : parent == Op::kDayOfWeek ? TimeDependence::kDay
                                          : TimeDependence::kExact);
        }
        return;
      case Op::kNot:
      case Op::kIsNull:
      case Op::kHour:
      case Op::kDayOfWeek:
      case Op::kLikeLiteral:
      case Op::kInCidrLiteral:
        visit(p, node.a, node.op, depth + 1);
        return;
      case Op::kAnd:
      case Op::kOr:
      case Op::kCompare:
      case Op::kLike:
      case Op::kInCidr:
        visit(p, node.a, node.op, depth + 1);
        visit(p, node.b, node.op, depth + 1);
        return;
      case Op::kBetween:
        visit(p, node.a, node.op, depth + 1);
        visit(p, node.b, node.op, depth + 1);
        visit(p, node.c, node.op, depth + 1);
        return;
      case Op::kIn:
        visit(p, node.a, node.op, depth + 1);
        for (std::uint32_t i = node.b; i < node.b + node.c && i < p.lists.size(); ++i) {
          visit(p, p.lists[i], node.op, depth + 1);
        }
        return;
      case Op::kRuleSet:
        if (node.a >= p.rule_sets.size() || p.rule_sets[node.a] == nullptr) {
          result = TimeDependence::kExact;
          return;
        }
        visit(*p.rule_sets[node.a], p.rule_sets[node.a]->root, Op::kRuleSet, depth + 1);
        return;
    }
    result = TimeDependence::kExact;
  }

 private:
  void note(TimeDependence d) { result = std::max(result, d); }
};

}  // namespace

TimeDependence time_dependence(const Program& program) {
  Walker w;
  w.visit(program, program.root, Op::kConst, 0);
  return w.result;
}

std::int64_t verdict_valid_until(TimeDependence d, std::int64_t now_us) {
  const auto next = [now_us](std::int64_t period) {
    const std::int64_t floor = now_us >= 0 ? now_us / period : -((-now_us + period - 1) / period);
    return (floor + 1) * period;
  };
  switch (d) {
    case TimeDependence::kNone:
      return std::numeric_limits<std::int64_t>::max();
    case TimeDependence::kHour:
      return next(kMicrosPerHour);
    case TimeDependence::kDay:
      return next(kMicrosPerDay);
    case TimeDependence::kExact:
      return now_us;
  }
  return now_us;
}

}  // namespace dbvault::rules::detail
