// ast::Expr -> detail::Program. Names are resolved here, literal CIDRs and LIKE patterns are
// analysed here, and sub-expressions without a factor are folded to constants.
#include <algorithm>
#include <cctype>

#include "grammar/expr_check.h"
#include "grammar/printer.h"
#include "rules/compiled_predicate.h"
#include "rules/program.h"

namespace dbvault::rules {

using detail::Kind;
using detail::Node;
using detail::Op;
using detail::Program;
using detail::Value;

namespace {

constexpr std::size_t kMaxRuleSetDepth = 32;

Error error_at(SqlState code, std::string message, const ast::Expr& at) {
  Error e = make_error(code, std::move(message));
  e.position = at.position;
  return e;
}

// Names in string literals are looked up as written, then folded to lower case as an
// unquoted identifier would be: HAS_ROLE('DBA') finds the role dba.
template <typename Find>
auto find_folded(std::string_view name, Find find) -> decltype(find(name)) {
  auto found = find(name);
  if (found) return found;
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == name) return found;
  return find(std::string_view(lower));
}

bool is_pure(Op op) {
  switch (op) {
    case Op::kNot:
    case Op::kCompare:
    case Op::kBetween:
    case Op::kIn:
    case Op::kLike:
    case Op::kLikeLiteral:
    case Op::kIsNull:
    case Op::kHour:
    case Op::kDayOfWeek:
    case Op::kInCidr:
    case Op::kInCidrLiteral:
      return true;
    default:
      return false;
  }
}

}  // namespace

// Compiles one expression tree into `program_` (one instance per expression or rule set).
class ExprCompiler {
 public:
  ExprCompiler(PredicateCompiler& owner, Program& program) : owner_(owner), p_(program) {}

  Result<std::uint32_t> compile(const ast::Expr& e) {
    return std::visit([&](const auto& n) { return node(e, n); }, e.node);
  }

  // Appends `n` and returns its index.
  std::uint32_t emit(const Node& n) {
    p_.nodes.push_back(n);
    return static_cast<std::uint32_t>(p_.nodes.size() - 1);
  }

  std::uint32_t emit_bool_or_null(std::optional<bool> v) {
    Node n{Op::kConst};
    n.sub = static_cast<std::uint8_t>(v ? Kind::kBool : Kind::kNull);
    n.imm = v.value_or(false) ? 1 : 0;
    return emit(n);
  }

 private:
  bool is_const(std::uint32_t i) const { return p_.nodes[i].op == Op::kConst; }

  // Replaces a pure node whose operands are all constants by its value.
  std::uint32_t fold(std::uint32_t i) {
    const Node& n = p_.nodes[i];
    if (!is_pure(n.op)) return i;
    bool constant = is_const(n.a);
    if (n.op == Op::kCompare || n.op == Op::kLike || n.op == Op::kInCidr) constant &= is_const(n.b);
    if (n.op == Op::kBetween) constant &= is_const(n.b) && is_const(n.c);
    if (n.op == Op::kIn) {
      for (std::uint32_t k = 0; k < n.c; ++k) constant &= is_const(p_.lists[n.b + k]);
    }
    if (!constant) return i;
    const Value v = p_.eval(i, Factors{});
    if (v.kind == Kind::kFault || v.kind == Kind::kString) return i;  // faults stay run-time
    Node c{Op::kConst};
    c.sub = static_cast<std::uint8_t>(v.kind);
    c.imm = v.i;
    p_.nodes[i] = c;
    return i;
  }

  std::uint32_t emit_folded(const Node& n) { return fold(emit(n)); }

  Result<std::uint32_t> node(const ast::Expr&, const ast::Literal& lit) {
    Node n{Op::kConst};
    switch (lit.value.index()) {
      case 0:
        n.sub = static_cast<std::uint8_t>(Kind::kNull);
        break;
      case 1: {
        const auto& s = std::get<std::string>(lit.value);
        n.sub = static_cast<std::uint8_t>(Kind::kString);
        n.a = static_cast<std::uint32_t>(p_.strings.size());
        n.b = static_cast<std::uint32_t>(s.size());
        p_.strings += s;
        break;
      }
      case 2:
        n.sub = static_cast<std::uint8_t>(Kind::kInt);
        n.imm = std::get<std::int64_t>(lit.value);
        break;
      default:
        n.sub = static_cast<std::uint8_t>(Kind::kBool);
        n.imm = std::get<bool>(lit.value) ? 1 : 0;
    }
    return emit(n);
  }

  Result<std::uint32_t> node(const ast::Expr&, const ast::FactorRef& f) {
    Node n{Op::kFactor};
    n.sub = static_cast<std::uint8_t>(f.factor);
    return emit(n);
  }

  Result<std::uint32_t> node(const ast::Expr&, const ast::Not& x) {
    auto a = compile(*x.operand);
    if (!a) return a;
    Node n{Op::kNot};
    n.a = *a;
    return emit_folded(n);
  }

  Result<std::uint32_t> node(const ast::Expr&, const ast::Logical& x) {
    auto a = compile(*x.lhs);
    if (!a) return a;
    auto b = compile(*x.rhs);
    if (!b) return b;
    const bool is_and = x.op == ast::LogicOp::kAnd;
    // Only a constant left operand folds: evaluation stops after it exactly the same way.
    const Node& lhs = p_.nodes[*a];
    if (lhs.op == Op::kConst && static_cast<Kind>(lhs.sub) == Kind::kBool) {
      const bool decides = (lhs.imm != 0) != is_and;  // FALSE AND x, TRUE OR x
      return decides ? *a : *b;
    }
    Node n{is_and ? Op::kAnd : Op::kOr};
    n.a = *a;
    n.b = *b;
    const std::uint32_t i = emit(n);
    if (is_const(*a) && is_const(*b)) {  // NULL AND TRUE, ...
      const Value v = p_.eval(i, Factors{});
      if (v.kind != Kind::kFault)
        return emit_bool_or_null(v.kind == Kind::kBool ? std::optional<bool>(v.i != 0)
                                                       : std::nullopt);
    }
    return i;
  }

  Result<std::uint32_t> node(const ast::Expr&, const ast::Compare& x) {
    auto a = compile(*x.lhs);
    if (!a) return a;
    auto b = compile(*x.rhs);
    if (!b) return b;
    Node n{Op::kCompare};
    n.sub = static_cast<std::uint8_t>(x.op);
    n.a = *a;
    n.b = *b;
    return emit_folded(n);
  }

  Result<std::uint32_t> node(const ast::Expr&, const ast::Between& x) {
    Node n{Op::kBetween};
    n.negated = x.negated;
    for (auto [slot, e] : {std::pair{&n.a, &*x.operand}, {&n.b, &*x.low}, {&n.c, &*x.high}}) {
      auto i = compile(*e);
      if (!i) return i;
      *slot = *i;
    }
    return emit_folded(n);
  }

  Result<std::uint32_t> node(const ast::Expr&, const ast::InList& x) {
    auto a = compile(*x.operand);
    if (!a) return a;
    std::vector<std::uint32_t> items;
    for (const auto& item : x.items) {
      auto i = compile(item);
      if (!i) return i;
      items.push_back(*i);
    }
    Node n{Op::kIn};
    n.negated = x.negated;
    n.a = *a;
    n.b = static_cast<std::uint32_t>(p_.lists.size());
    n.c = static_cast<std::uint32_t>(items.size());
    p_.lists.insert(p_.lists.end(), items.begin(), items.end());
    return emit_folded(n);
  }

  Result<std::uint32_t> node(const ast::Expr&, const ast::Like& x) {
    auto a = compile(*x.operand);
    if (!a) return a;
    Node n{Op::kLike};
    n.negated = x.negated;
    n.a = *a;
    const auto* lit = std::get_if<ast::Literal>(&x.pattern->node);
    const auto* text = lit != nullptr ? std::get_if<std::string>(&lit->value) : nullptr;
    if (text != nullptr) {
      if (detail::like_pattern_invalid(*text)) {
        return error_at(sqlstate::kInvalidEscapeSequence, "LIKE pattern must not end with escape character",
                        *x.pattern);
      }
      n.op = Op::kLikeLiteral;
      n.b = static_cast<std::uint32_t>(p_.likes.size());
      p_.likes.push_back(detail::LikePattern::analyse(*text));
    } else {
      auto b = compile(*x.pattern);
      if (!b) return b;
      n.b = *b;
    }
    return emit_folded(n);
  }

  Result<std::uint32_t> node(const ast::Expr&, const ast::IsNull& x) {
    auto a = compile(*x.operand);
    if (!a) return a;
    Node n{Op::kIsNull};
    n.negated = x.negated;
    n.a = *a;
    return emit_folded(n);
  }

  Result<std::uint32_t> node(const ast::Expr& e, const ast::Call& c);
  Result<std::uint32_t> named(const ast::Expr& e, const ast::Call& c);
  Result<std::uint32_t> in_cidr(const ast::Call& c);

  PredicateCompiler& owner_;
  Program& p_;
};

Result<std::uint32_t> ExprCompiler::node(const ast::Expr& e, const ast::Call& c) {
  switch (c.function) {
    case ast::Function::kHour:
    case ast::Function::kDayOfWeek: {
      auto a = compile(c.args.at(0));
      if (!a) return a;
      Node n{c.function == ast::Function::kHour ? Op::kHour : Op::kDayOfWeek};
      n.a = *a;
      return emit_folded(n);
    }
    case ast::Function::kInCidr:
      return in_cidr(c);
    case ast::Function::kHasRole:
    case ast::Function::kRealmUnlocked:
    case ast::Function::kRuleSet:
      return named(e, c);
  }
  return error_at(sqlstate::kUndefinedFunction, "unknown function", e);
}

Result<std::uint32_t> ExprCompiler::in_cidr(const ast::Call& c) {
  auto a = compile(c.args.at(0));
  if (!a) return a;
  Node n{Op::kInCidr};
  n.a = *a;
  const auto* f = std::get_if<ast::FactorRef>(&c.args[0].node);
  n.sub = (f != nullptr && f->factor == ast::Factor::kClientIp) ? 1 : 0;
  const auto* lit = std::get_if<ast::Literal>(&c.args.at(1).node);
  const auto* text = lit != nullptr ? std::get_if<std::string>(&lit->value) : nullptr;
  if (text != nullptr) {
    auto block = grammar::parse_cidr(*text);
    if (!block) {
      Error err = std::move(block).error();
      err.position = c.args[1].position;
      return err;
    }
    n.op = Op::kInCidrLiteral;
    n.b = static_cast<std::uint32_t>(p_.cidrs.size());
    p_.cidrs.push_back(*block);
  } else {
    auto b = compile(c.args[1]);
    if (!b) return b;
    n.b = *b;
  }
  return emit_folded(n);
}

// HAS_ROLE, REALM_UNLOCKED, RULE_SET: the argument names something; resolve it now.
Result<std::uint32_t> ExprCompiler::named(const ast::Expr& e, const ast::Call& c) {
  const std::string fname(ast::function_name(c.function));
  const auto* lit = std::get_if<ast::Literal>(&c.args.at(0).node);
  if (lit != nullptr && std::holds_alternative<std::monostate>(lit->value)) {
    return emit_bool_or_null(std::nullopt);  // HAS_ROLE(NULL) is NULL
  }
  const auto* name = lit != nullptr ? std::get_if<std::string>(&lit->value) : nullptr;
  if (name == nullptr) {
    return error_at(sqlstate::kFeatureNotSupported,
                    fname + "() takes a string literal naming the object", c.args[0]);
  }
  const NameResolver& r = owner_.resolver();
  Node n;
  if (c.function == ast::Function::kHasRole) {
    const auto id = find_folded(*name, [&](std::string_view s) { return r.find_role(s); });
    if (!id)
      return error_at(sqlstate::kUndefinedObject, "role \"" + *name + "\" does not exist", e);
    n = Node{Op::kHasRole};
    n.a = *id;
  } else if (c.function == ast::Function::kRealmUnlocked) {
    const auto id = find_folded(*name, [&](std::string_view s) { return r.find_realm(s); });
    if (!id)
      return error_at(sqlstate::kUndefinedObject, "realm \"" + *name + "\" does not exist", e);
    n = Node{Op::kRealmUnlocked};
    n.a = *id;
  } else {
    auto set = owner_.compile_rule_set(*name);
    if (!set) {
      Error err = std::move(set).error();
      if (err.position == 0) err.position = e.position;
      return err;
    }
    n = Node{Op::kRuleSet};
    n.a = static_cast<std::uint32_t>(p_.rule_sets.size());
    p_.rule_sets.push_back(set->program_);
  }
  return emit(n);
}

// ---- PredicateCompiler, CompiledPredicate ------------------------------------------------

PredicateCompiler::PredicateCompiler(const NameResolver& resolver) : resolver_(resolver) {}

Result<CompiledPredicate> PredicateCompiler::compile(const ast::Expr& condition) {
  DBV_RETURN_IF_ERROR(grammar::check_condition(condition));
  auto program = std::make_shared<Program>();
  ExprCompiler compiler(*this, *program);
  auto root = compiler.compile(condition);
  if (!root) return std::move(root).error();
  program->root = *root;
  program->source = grammar::to_sql(condition);
  return CompiledPredicate(std::move(program));
}

// ALL (c1, c2, ...) -> c1 AND c2 AND ...; ANY -> OR. An empty list is TRUE for ALL, FALSE
// for ANY (the grammar requires at least one condition).
Result<std::uint32_t> PredicateCompiler::compile_conditions(const ast::CreateRuleSet& def,
                                                            Program& program) {
  ExprCompiler compiler(*this, program);
  std::optional<std::uint32_t> root;
  for (const ast::Expr& condition : def.conditions) {
    DBV_RETURN_IF_ERROR(grammar::check_condition(condition));
    auto next = compiler.compile(condition);
    if (!next) return next;
    if (!root) {
      root = *next;
      continue;
    }
    Node n{def.match_all ? Op::kAnd : Op::kOr};
    n.a = *root;
    n.b = *next;
    root = compiler.emit(n);
  }
  if (!root) root = compiler.emit_bool_or_null(def.match_all);
  return *root;
}

Result<CompiledPredicate> PredicateCompiler::compile_rule_set(std::string_view name) {
  const ast::CreateRuleSet* def =
      find_folded(name, [&](std::string_view s) { return resolver_.find_rule_set(s); });
  if (def == nullptr) {
    return make_error(sqlstate::kUndefinedObject,
                      "rule set \"" + std::string(name) + "\" does not exist");
  }
  if (auto done = rule_sets_.find(def->name); done != rule_sets_.end()) {
    return CompiledPredicate(done->second);
  }
  if (std::find(in_progress_.begin(), in_progress_.end(), def->name) != in_progress_.end()) {
    std::string chain;
    for (const auto& n : in_progress_) chain += n + " -> ";
    return make_error(sqlstate::kInvalidObjectDefinition,
                      "rule set \"" + def->name + "\" references itself: " + chain + def->name);
  }
  if (in_progress_.size() >= kMaxRuleSetDepth) {
    return make_error(sqlstate::kStatementTooComplex, "rule sets are nested more than " +
                                             std::to_string(kMaxRuleSetDepth) + " deep");
  }
  in_progress_.push_back(def->name);
  auto program = std::make_shared<Program>();
  auto root = compile_conditions(*def, *program);
  in_progress_.pop_back();
  if (!root) return std::move(root).error();
  program->root = *root;
  program->source = "RULE_SET(" + grammar::quote_literal(def->name) + ")";
  rule_sets_.emplace(def->name, program);
  return CompiledPredicate(std::move(program));
}

CompiledPredicate CompiledPredicate::failing(Error why, std::string source) {
  auto program = std::make_shared<Program>();
  program->nodes.push_back(Node{Op::kFail});
  program->failure = std::move(why);
  program->source = std::move(source);
  return CompiledPredicate(std::move(program));
}

Result<TriBool> CompiledPredicate::eval(const Factors& factors) const {
  const Value v = program_->eval(factors);
  switch (v.kind) {
    case Kind::kBool:
      return v.i != 0 ? TriBool::kTrue : TriBool::kFalse;
    case Kind::kNull:
      return TriBool::kUnknown;
    case Kind::kFault:
      return program_->fault_error(static_cast<detail::Fault>(v.i));
    default:
      break;
  }
  return make_error(sqlstate::kDatatypeMismatch, "rule condition is not boolean");
}

std::optional<TriBool> CompiledPredicate::try_eval(const Factors& factors) const {
  const Value v = program_->eval(factors);
  if (v.kind == Kind::kBool) return v.i != 0 ? TriBool::kTrue : TriBool::kFalse;
  if (v.kind == Kind::kNull) return TriBool::kUnknown;
  return std::nullopt;
}

const std::string& CompiledPredicate::source() const { return program_->source; }

bool CompiledPredicate::is_constant() const {
  return program_->nodes[program_->root].op == Op::kConst;
}

std::string_view tribool_name(TriBool v) {
  switch (v) {
    case TriBool::kFalse:
      return "FALSE";
    case TriBool::kTrue:
      return "TRUE";
    case TriBool::kUnknown:
      return "UNKNOWN";
  }
  return "?";
}

ClientAddress parse_client_address(std::string_view client_ip) {
  ClientAddress out;
  if (client_ip.empty()) return out;
  auto parsed = grammar::parse_cidr(client_ip);
  const bool host = parsed && parsed->prefix == (parsed->v6 ? 128 : 32) &&
                    client_ip.find('/') == std::string_view::npos;
  if (!host) {
    out.state = ClientAddress::State::kMalformed;
    return out;
  }
  out.state = ClientAddress::State::kValid;
  out.address = *parsed;
  return out;
}

}  // namespace dbvault::rules
