// Evaluation of a compiled program: one switch per node, values on the stack, SQL
// three-valued logic. Faults propagate outward; AND/OR stop early once the result is known.
#include "grammar/ast.h"
#include "rules/program.h"

namespace dbvault::rules::detail {
namespace {

constexpr std::int64_t kMicrosPerHour = 3'600'000'000LL;
constexpr std::int64_t kMicrosPerDay = 24 * kMicrosPerHour;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// -1, 0, 1. REQUIRES: a and b are of one non-NULL kind (the type checker guarantees it).
int order(const Value& a, const Value& b) {
  if (a.kind == Kind::kString) {
    const int c = a.s.compare(b.s);
    return (c > 0) - (c < 0);
  }
  return (a.i > b.i) - (a.i < b.i);
}

Value compare(ast::CompareOp op, const Value& a, const Value& b) {
  if (a.kind == Kind::kNull || b.kind == Kind::kNull) return Value::null();
  const int c = order(a, b);
  switch (op) {
    case ast::CompareOp::kEq:
      return Value::boolean(c == 0);
    case ast::CompareOp::kNe:
      return Value::boolean(c != 0);
    case ast::CompareOp::kLt:
      return Value::boolean(c < 0);
    case ast::CompareOp::kLe:
      return Value::boolean(c <= 0);
    case ast::CompareOp::kGt:
      return Value::boolean(c > 0);
    case ast::CompareOp::kGe:
      return Value::boolean(c >= 0);
  }
  return Value::null();
}

Value negate(Value v, bool negated) {
  if (negated && v.kind == Kind::kBool) v.i = 1 - v.i;
  return v;
}

// Kleene AND of two booleans-or-NULL.
Value kleene_and(const Value& a, const Value& b) {
  if ((a.kind == Kind::kBool && a.i == 0) || (b.kind == Kind::kBool && b.i == 0)) {
    return Value::boolean(false);
  }
  if (a.kind == Kind::kNull || b.kind == Kind::kNull) return Value::null();
  return Value::boolean(true);
}

bool is_true(const Value& v) { return v.kind == Kind::kBool && v.i != 0; }
bool is_false(const Value& v) { return v.kind == Kind::kBool && v.i == 0; }

Value factor(ast::Factor f, const Factors& fs) {
  const auto str = [](std::string_view s) { return Value{Kind::kString, 0, s}; };
  switch (f) {
    case ast::Factor::kCurrentUser:
      return str(fs.current_user);
    case ast::Factor::kSessionUser:
      return str(fs.session_user);
    case ast::Factor::kProgramName:
      return str(fs.program_name);
    case ast::Factor::kClientIp:
      return str(fs.client_ip);
    case ast::Factor::kAuthMethod:
      return str(fs.auth_method);
    case ast::Factor::kTls:
      return Value::boolean(fs.tls);
    case ast::Factor::kCurrentTimestamp:
      return Value{Kind::kTimestamp, fs.now.time_since_epoch().count(), {}};
  }
  return Value::null();
}

// True if `address` (a host, prefix 32/128) lies in `block`. Same family only; the grammar
// maps IPv4-mapped IPv6 addresses to IPv4 when parsing.
bool block_contains(const grammar::Cidr& block, const grammar::Cidr& address) {
  if (block.v6 != address.v6) return false;
  const int full = block.prefix / 8;
  for (int i = 0; i < full; ++i) {
    if (block.address[static_cast<std::size_t>(i)] !=
        address.address[static_cast<std::size_t>(i)]) {
      return false;
    }
  }
  const int rest = block.prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  const auto at = static_cast<std::size_t>(full);
  return (block.address[at] & mask) == (address.address[at] & mask);
}

// IN_CIDR with the address already evaluated. When the address is the client_ip factor
// itself (node.sub != 0) the session's pre-parsed address is used; any other string is parsed
// here (rare: only rules that compute an address some other way).
Value in_cidr(const Node& node, const Value& ip, const grammar::Cidr& block, const Factors& fs) {
  if (ip.kind == Kind::kNull) return Value::null();
  const ClientAddress addr = node.sub != 0 ? fs.client_address : parse_client_address(ip.s);
  switch (addr.state) {
    case ClientAddress::State::kNone:
      return Value::boolean(false);
    case ClientAddress::State::kMalformed:
      return Value::fault(Fault::kMalformedClientIp);
    case ClientAddress::State::kValid:
      break;
  }
  return Value::boolean(block_contains(block, addr.address));
}

}  // namespace

// NOLINTNEXTLINE(readability-function-cognitive-complexity): one case per operator
Value Program::eval(std::uint32_t n, const Factors& f) const {
  const Node& node = nodes[n];
  const auto sub = [&](std::uint32_t i, Value& out) {
    out = eval(i, f);
    return out.kind != Kind::kFault;
  };
  Value a;
  Value b;
  switch (node.op) {
    case Op::kConst: {
      const auto kind = static_cast<Kind>(node.sub);
      if (kind == Kind::kString) return {kind, 0, std::string_view(strings).substr(node.a, node.b)};
      return {kind, node.imm, {}};
    }
    case Op::kFactor:
      return factor(static_cast<ast::Factor>(node.sub), f);
    case Op::kNot:
      if (!sub(node.a, a)) return a;
      return negate(a, true);
    case Op::kAnd:
      if (!sub(node.a, a) || is_false(a)) return a;
      if (!sub(node.b, b)) return b;
      return kleene_and(a, b);
    case Op::kOr:
      if (!sub(node.a, a) || is_true(a)) return a;
      if (!sub(node.b, b)) return b;
      return negate(kleene_and(negate(a, true), negate(b, true)), true);
    case Op::kCompare:
      if (!sub(node.a, a) || !sub(node.b, b)) return a.kind == Kind::kFault ? a : b;
      return compare(static_cast<ast::CompareOp>(node.sub), a, b);
    case Op::kBetween: {
      Value v;
      if (!sub(node.a, v) || !sub(node.b, a) || !sub(node.c, b)) {
        return v.kind == Kind::kFault ? v : (a.kind == Kind::kFault ? a : b);
      }
      return negate(
          kleene_and(compare(ast::CompareOp::kGe, v, a), compare(ast::CompareOp::kLe, v, b)),
          node.negated);
    }
    case Op::kIn: {
      // x IN (a, b) is x = a OR x = b: TRUE on a match, else UNKNOWN if anything was NULL.
      if (!sub(node.a, a)) return a;
      bool saw_null = a.kind == Kind::kNull;
      for (std::uint32_t i = 0; i < node.c; ++i) {
        if (!sub(lists[node.b + i], b)) return b;
        if (b.kind == Kind::kNull) {
          saw_null = true;
        } else if (a.kind != Kind::kNull && order(a, b) == 0) {
          return Value::boolean(!node.negated);
        }
      }
      return saw_null ? Value::null() : Value::boolean(node.negated);
    }
    case Op::kLike:
      if (!sub(node.a, a) || !sub(node.b, b)) return a.kind == Kind::kFault ? a : b;
      if (a.kind == Kind::kNull || b.kind == Kind::kNull) return Value::null();
      if (like_pattern_invalid(b.s)) return Value::fault(Fault::kLikeEscape);
      return Value::boolean(like_match(a.s, b.s) != node.negated);
    case Op::kLikeLiteral:
      if (!sub(node.a, a) || a.kind == Kind::kNull) return a;
      return Value::boolean(likes[node.b].matches(a.s) != node.negated);
    case Op::kIsNull:
      if (!sub(node.a, a)) return a;
      return Value::boolean((a.kind == Kind::kNull) != node.negated);
    case Op::kHour:
      if (!sub(node.a, a) || a.kind == Kind::kNull) return a;
      return {Kind::kInt, floor_div(a.i, kMicrosPerHour) - floor_div(a.i, kMicrosPerDay) * 24, {}};
    case Op::kDayOfWeek: {
      if (!sub(node.a, a) || a.kind == Kind::kNull) return a;
      // 1970-01-01 was a Thursday (ISO 4).
      const std::int64_t days = floor_div(a.i, kMicrosPerDay);
      return {Kind::kInt, days + 3 - floor_div(days + 3, 7) * 7 + 1, {}};
    }
    case Op::kHasRole:
      return Value::boolean(f.roles.test(node.a));
    case Op::kRealmUnlocked:
      return Value::boolean(f.unlocked_realms.test(node.a));
    case Op::kInCidr: {
      if (!sub(node.a, a) || !sub(node.b, b)) return a.kind == Kind::kFault ? a : b;
      if (b.kind == Kind::kNull) return Value::null();
      auto block = grammar::parse_cidr(b.s);  // a block computed at run time: rare
      if (!block) return Value::fault(Fault::kInvalidCidr);
      return in_cidr(node, a, *block, f);
    }
    case Op::kInCidrLiteral:
      if (!sub(node.a, a)) return a;
      return in_cidr(node, a, cidrs[node.b], f);
    case Op::kRuleSet:
      return rule_sets[node.a]->eval(f);
    case Op::kFail:
      return Value::fault(Fault::kFailing);
  }
  return Value::fault(Fault::kFailing);
}

Error Program::fault_error(Fault fault) const {
  switch (fault) {
    case Fault::kMalformedClientIp:
      return make_error(sqlstate::kInvalidParameterValue,
                        "client_ip is not a valid IP address, so IN_CIDR() cannot be evaluated");
    case Fault::kInvalidCidr:
      return make_error(sqlstate::kInvalidParameterValue,
                        "IN_CIDR(): the block computed at run time is not a valid CIDR block");
    case Fault::kLikeEscape:
      return make_error(sqlstate::kInvalidEscapeSequence, "LIKE pattern must not end with escape character");
    case Fault::kFailing:
    case Fault::kNone:
      break;
  }
  if (failure) return *failure;
  return make_error(sqlstate::kInternalError, "rule expression could not be evaluated");
}

}  // namespace dbvault::rules::detail
