// Rule expressions: OR < AND < NOT < predicates < values.
#include <charconv>

#include "grammar/build.h"
#include "grammar/expr_check.h"

namespace dbvault::grammar::build {
namespace {

Result<ast::Expr> expr(P::ExprContext* c);
Result<ast::Expr> not_expr(P::NotExprContext* c);
Result<ast::Expr> value(P::ValueExprContext* c);

ast::Expr make(ast::Expr::Node node, antlr4::ParserRuleContext* c) {
  return ast::Expr{std::move(node), position(c)};
}

// Folds `items` left to right with `op`: a AND b AND c -> (a AND b) AND c.
template <typename Ctx, typename Build>
Result<ast::Expr> fold(const std::vector<Ctx*>& items, ast::LogicOp op, Build build) {
  auto first = build(items[0]);
  if (!first) return first;
  ast::Expr acc = std::move(*first);
  for (std::size_t i = 1; i < items.size(); ++i) {
    auto next = build(items[i]);
    if (!next) return next;
    const int pos = acc.position;
    acc = ast::Expr{ast::Logical{op, std::move(acc), std::move(*next)}, pos};
  }
  return acc;
}

Result<ast::Expr> literal(P::LiteralContext* c) {
  if (c->string()) return make(ast::Literal{text(c->string())}, c);
  if (c->TRUE()) return make(ast::Literal{true}, c);
  if (c->FALSE()) return make(ast::Literal{false}, c);
  if (c->NULL_()) return make(ast::Literal{}, c);
  const std::string digits = (c->MINUS() ? "-" : "") + c->INTEGER()->getText();
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size()) {
    return error_at(sqlstate::kNumericValueOutOfRange,
                    "integer " + digits + " is out of range for a 64-bit integer", c);
  }
  return make(ast::Literal{v}, c);
}

Result<ast::Expr> function_call(P::FunctionCallContext* c) {
  const auto f = ast::function_from_name(name(c->identifier()));
  if (!f) {
    return error_at(sqlstate::kUndefinedFunction,
                    "function " + c->identifier()->getText() + "() does not exist in rule expressions; known: " +
                        known_function_names(),
                    c);
  }
  ast::Call call{*f, {}};
  for (auto* a : c->expr()) {
    auto arg = expr(a);
    if (!arg) return arg;
    call.args.push_back(std::move(*arg));
  }
  return make(std::move(call), c);
}

Result<ast::Expr> value(P::ValueExprContext* c) {
  if (auto* l = dynamic_cast<P::LiteralValueContext*>(c)) return literal(l->literal());
  if (auto* f = dynamic_cast<P::FunctionCallContext*>(c)) return function_call(f);
  if (auto* p = dynamic_cast<P::ParenthesizedContext*>(c)) return expr(p->expr());
  auto* r = dynamic_cast<P::FactorRefContext*>(c);
  const std::string fname = name(r->identifier());
  const auto factor = ast::factor_from_name(fname);
  if (!factor) {
    return error_at(sqlstate::kUndefinedColumn,
                    "unknown factor \"" + fname + "\"; known: " + known_factor_names(), c);
  }
  return make(ast::FactorRef{*factor}, c);
}

// Builds every value of a predicate, in order.
Result<std::vector<ast::Expr>> values(const std::vector<P::ValueExprContext*>& items) {
  std::vector<ast::Expr> out;
  for (auto* v : items) {
    auto e = value(v);
    if (!e) return std::move(e).error();
    out.push_back(std::move(*e));
  }
  return out;
}

ast::CompareOp compare_op(P::ComparisonOpContext* c) {
  using O = ast::CompareOp;
  if (c->EQ()) return O::kEq;
  if (c->NEQ()) return O::kNe;
  if (c->LT()) return O::kLt;
  if (c->LE()) return O::kLe;
  if (c->GT()) return O::kGt;
  return O::kGe;
}

Result<ast::Expr> predicate(P::PredicateContext* c) {
  if (auto* p = dynamic_cast<P::PlainValueContext*>(c)) return value(p->valueExpr());
  std::vector<P::ValueExprContext*> parts;
  for (auto* child : c->children) {
    if (auto* v = dynamic_cast<P::ValueExprContext*>(child)) parts.push_back(v);
  }
  auto vs = values(parts);
  if (!vs) return std::move(vs).error();
  auto& v = *vs;
  if (auto* p = dynamic_cast<P::ComparisonContext*>(c)) {
    return make(ast::Compare{compare_op(p->comparisonOp()), std::move(v[0]), std::move(v[1])}, c);
  }
  if (auto* p = dynamic_cast<P::BetweenContext*>(c)) {
    return make(ast::Between{p->NOT() != nullptr, std::move(v[0]), std::move(v[1]), std::move(v[2])},
                c);
  }
  if (auto* p = dynamic_cast<P::InListContext*>(c)) {
    ast::Expr operand = std::move(v[0]);
    v.erase(v.begin());
    return make(ast::InList{p->NOT() != nullptr, std::move(operand), std::move(v)}, c);
  }
  if (auto* p = dynamic_cast<P::LikeContext*>(c)) {
    return make(ast::Like{p->NOT() != nullptr, std::move(v[0]), std::move(v[1])}, c);
  }
  auto* p = dynamic_cast<P::IsNullContext*>(c);
  return make(ast::IsNull{p->NOT() != nullptr, std::move(v[0])}, c);
}

Result<ast::Expr> not_expr(P::NotExprContext* c) {
  if (c->NOT() == nullptr) return predicate(c->predicate());
  auto inner = not_expr(c->notExpr());
  if (!inner) return inner;
  return make(ast::Not{std::move(*inner)}, c);
}

Result<ast::Expr> expr(P::ExprContext* c) {
  return fold(c->orExpr()->andExpr(), ast::LogicOp::kOr, [](P::AndExprContext* a) {
    return fold(a->notExpr(), ast::LogicOp::kAnd, not_expr);
  });
}

}  // namespace

Result<ast::Expr> condition(P::ExprContext* c) {
  auto e = expr(c);
  if (!e) return e;
  DBV_RETURN_IF_ERROR(check_condition(*e));
  return e;
}

}  // namespace dbvault::grammar::build
