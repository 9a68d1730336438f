#include "grammar/expr_check.h"

#include <array>

#include "grammar/cidr.h"

namespace dbvault::grammar {
namespace {

using T = ValueType;

struct Signature {
  ast::Function function;
  std::vector<T> params;
  T result;
};

const Signature& signature(ast::Function f) {
  static const std::array<Signature, 6> kSignatures{{
      {ast::Function::kHour, {T::kTimestamp}, T::kInteger},
      {ast::Function::kDayOfWeek, {T::kTimestamp}, T::kInteger},
      {ast::Function::kHasRole, {T::kString}, T::kBoolean},
      {ast::Function::kInCidr, {T::kString, T::kString}, T::kBoolean},
      {ast::Function::kRealmUnlocked, {T::kString}, T::kBoolean},
      {ast::Function::kRuleSet, {T::kString}, T::kBoolean},
  }};
  return kSignatures[static_cast<std::size_t>(f)];
}

Error mismatch(const ast::Expr& at, const std::string& what, T got) {
  Error e = make_error(sqlstate::kDatatypeMismatch,
                       what + ", not " + std::string(value_type_name(got)));
  e.position = at.position;
  return e;
}

// NULL fits any type; otherwise the types must be equal.
bool fits(T want, T got) { return got == T::kNull || want == T::kNull || want == got; }

// Checks that every expression in `items` has a type that fits `want` (or the first
// non-NULL one when want is kNull); used by comparisons, BETWEEN and IN.
Status same_types(const std::vector<const ast::Expr*>& items, const std::string& context) {
  T want = T::kNull;
  for (const ast::Expr* e : items) {
    auto t = type_of(*e);
    if (!t) return std::move(t).error();
    if (!fits(want, *t)) {
      return mismatch(*e, context + " needs operands of one type: expected " +
                              std::string(value_type_name(want)), *t);
    }
    if (want == T::kNull) want = *t;
  }
  return ok_status();
}

Result<T> call_type(const ast::Expr& e, const ast::Call& c) {
  const Signature& sig = signature(c.function);
  const std::string fname(ast::function_name(c.function));
  if (c.args.size() != sig.params.size()) {
    Error err = make_error(sqlstate::kUndefinedFunction,
                           "function " + fname + "() takes " + std::to_string(sig.params.size()) +
                               (sig.params.size() == 1 ? " argument" : " arguments") + ", not " +
                               std::to_string(c.args.size()));
    err.position = e.position;
    return err;
  }
  for (std::size_t i = 0; i < c.args.size(); ++i) {
    auto t = type_of(c.args[i]);
    if (!t) return t;
    if (!fits(sig.params[i], *t)) {
      return mismatch(c.args[i], "argument " + std::to_string(i + 1) + " of " + fname + "() must be " +
                                     std::string(value_type_name(sig.params[i])), *t);
    }
  }
  if (c.function == ast::Function::kInCidr) {
    if (const auto* lit = std::get_if<ast::Literal>(&c.args[1].node)) {
      if (const auto* s = std::get_if<std::string>(&lit->value)) {
        auto cidr = parse_cidr(*s);
        if (!cidr) {
          Error err = std::move(cidr).error();
          err.position = c.args[1].position;
          return err;
        }
      }
    }
  }
  return sig.result;
}

Status expect_boolean(const ast::Expr& e, const std::string& what) {
  auto t = type_of(e);
  if (!t) return std::move(t).error();
  if (!fits(T::kBoolean, *t)) return mismatch(e, what + " must be boolean", *t);
  return ok_status();
}

}  // namespace

std::string_view value_type_name(ValueType t) {
  switch (t) {
    case T::kNull: return "null";
    case T::kBoolean: return "boolean";
    case T::kInteger: return "integer";
    case T::kString: return "string";
    case T::kTimestamp: return "timestamp";
  }
  return "?";
}

Result<ValueType> type_of(const ast::Expr& e) {
  return std::visit(
      [&e](const auto& n) -> Result<ValueType> {
        using N = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<N, ast::Literal>) {
          switch (n.value.index()) {
            case 0: return T::kNull;
            case 1: return T::kString;
            case 2: return T::kInteger;
            default: return T::kBoolean;
          }
        } else if constexpr (std::is_same_v<N, ast::FactorRef>) {
          if (n.factor == ast::Factor::kTls) return T::kBoolean;
          if (n.factor == ast::Factor::kCurrentTimestamp) return T::kTimestamp;
          return T::kString;
        } else if constexpr (std::is_same_v<N, ast::Call>) {
          return call_type(e, n);
        } else if constexpr (std::is_same_v<N, ast::Not>) {
          DBV_RETURN_IF_ERROR(expect_boolean(*n.operand, "the operand of NOT"));
          return T::kBoolean;
        } else if constexpr (std::is_same_v<N, ast::Logical>) {
          const std::string op = n.op == ast::LogicOp::kAnd ? "AND" : "OR";
          DBV_RETURN_IF_ERROR(expect_boolean(*n.lhs, "the operands of " + op));
          DBV_RETURN_IF_ERROR(expect_boolean(*n.rhs, "the operands of " + op));
          return T::kBoolean;
        } else if constexpr (std::is_same_v<N, ast::Compare>) {
          DBV_RETURN_IF_ERROR(same_types({&*n.lhs, &*n.rhs}, "a comparison"));
          return T::kBoolean;
        } else if constexpr (std::is_same_v<N, ast::Between>) {
          DBV_RETURN_IF_ERROR(same_types({&*n.operand, &*n.low, &*n.high}, "BETWEEN"));
          return T::kBoolean;
        } else if constexpr (std::is_same_v<N, ast::InList>) {
          std::vector<const ast::Expr*> all{&*n.operand};
          for (const auto& i : n.items) all.push_back(&i);
          DBV_RETURN_IF_ERROR(same_types(all, "IN"));
          return T::kBoolean;
        } else if constexpr (std::is_same_v<N, ast::Like>) {
          for (const ast::Expr* x : {&*n.operand, &*n.pattern}) {
            auto t = type_of(*x);
            if (!t) return t;
            if (!fits(T::kString, *t)) return mismatch(*x, "LIKE needs strings", *t);
          }
          return T::kBoolean;
        } else {  // IsNull
          auto t = type_of(*n.operand);
          if (!t) return t;
          return T::kBoolean;
        }
      },
      e.node);
}

Status check_condition(const ast::Expr& e) { return expect_boolean(e, "a rule condition"); }

std::string known_factor_names() {
  std::string out;
  for (int f = 0; f <= static_cast<int>(ast::Factor::kCurrentTimestamp); ++f) {
    if (!out.empty()) out += ", ";
    out += ast::factor_name(static_cast<ast::Factor>(f));
  }
  return out;
}

std::string known_function_names() {
  std::string out;
  for (int f = 0; f <= static_cast<int>(ast::Function::kRuleSet); ++f) {
    if (!out.empty()) out += ", ";
    out += ast::function_name(static_cast<ast::Function>(f));
  }
  return out;
}

}  // namespace dbvault::grammar
