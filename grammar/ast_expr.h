// The typed AST of rule expressions (DENY WHEN ..., ALLOW ONLY WHEN ..., CREATE RULE SET).
// Produced by grammar::parse, type-checked by grammar::check_expression, compiled and
// evaluated by rules/. Values only; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "grammar/box.h"

namespace dbvault::ast {

// Session attributes a rule can test. docs/sql-reference.md lists their types.
enum class Factor {
  kCurrentUser,
  kSessionUser,
  kProgramName,
  kClientIp,
  kAuthMethod,
  kTls,
  kCurrentTimestamp,
};

enum class Function { kHour, kDayOfWeek, kHasRole, kInCidr, kRealmUnlocked, kRuleSet };

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };
enum class LogicOp { kAnd, kOr };

// Looks a factor or function up by its SQL name, case-insensitively.
std::optional<Factor> factor_from_name(std::string_view name);
std::optional<Function> function_from_name(std::string_view name);
std::string_view factor_name(Factor f);      // e.g. "program_name", "CURRENT_TIMESTAMP"
std::string_view function_name(Function f);  // e.g. "HOUR"

struct Expr;

struct Literal {
  // monostate is SQL NULL.
  std::variant<std::monostate, std::string, std::int64_t, bool> value;
  bool operator==(const Literal&) const = default;
};
struct FactorRef {
  Factor factor;
  bool operator==(const FactorRef&) const = default;
};
struct Call {
  Function function;
  std::vector<Expr> args;
  bool operator==(const Call&) const;
};
struct Not {
  Box<Expr> operand;
  bool operator==(const Not&) const = default;
};
struct Logical {
  LogicOp op;
  Box<Expr> lhs;
  Box<Expr> rhs;
  bool operator==(const Logical&) const = default;
};
struct Compare {
  CompareOp op;
  Box<Expr> lhs;
  Box<Expr> rhs;
  bool operator==(const Compare&) const = default;
};
struct Between {
  bool negated;
  Box<Expr> operand;
  Box<Expr> low;
  Box<Expr> high;
  bool operator==(const Between&) const = default;
};
struct InList {
  bool negated;
  Box<Expr> operand;
  std::vector<Expr> items;
  bool operator==(const InList&) const;
};
struct Like {
  bool negated;
  Box<Expr> operand;
  Box<Expr> pattern;
  bool operator==(const Like&) const = default;
};
struct IsNull {
  bool negated;
  Box<Expr> operand;
  bool operator==(const IsNull&) const = default;
};

struct Expr {
  using Node = std::variant<Literal, FactorRef, Call, Not, Logical, Compare, Between, InList, Like,
                            IsNull>;
  Node node;
  // 1-based character position of the expression in the statement text (0 if unknown), so
  // that type errors point at the right place. Not part of equality.
  int position = 0;

  bool operator==(const Expr& other) const { return node == other.node; }
};

inline bool Call::operator==(const Call& o) const {
  return function == o.function && args == o.args;
}
inline bool InList::operator==(const InList& o) const {
  return negated == o.negated && operand == o.operand && items == o.items;
}

}  // namespace dbvault::ast
