// Command rules and rule sets.
#include "grammar/build.h"

namespace dbvault::grammar::build {
namespace {

ast::Command command(P::CommandContext* c) {
  using C = ast::Command;
  if (c->SELECT()) return C::kSelect;
  if (c->INSERT()) return C::kInsert;
  if (c->UPDATE()) return C::kUpdate;
  if (c->DELETE()) return C::kDelete;
  if (c->DROP()) return C::kDrop;
  if (c->TRUNCATE()) return C::kTruncate;
  if (c->ALTER()) return C::kAlter;
  if (c->CREATE()) return C::kCreate;
  if (c->GRANT()) return C::kGrant;
  if (c->CONNECT()) return C::kConnect;
  if (c->EXPORT()) return C::kExport;
  return C::kAll;
}

ast::RuleTarget rule_target(P::RuleTargetContext* c) {
  using K = ast::RuleTarget::Kind;
  if (c->TABLE()) return {K::kTable, {object_name(c->objectName()), ""}, ""};
  if (c->COLUMN()) return {K::kColumn, column_ref(c->columnName()), ""};
  if (c->REALM()) return {K::kRealm, {}, name(c->identifier())};
  return {K::kAny, {}, ""};
}

// Fills action, principals and condition from the DENY FROM / DENY WHEN / ALLOW ONLY WHEN.
Status rule_action(P::RuleActionContext* c, ast::CreateCommandRule& rule) {
  using A = ast::CreateCommandRule::Action;
  P::ExprContext* when = nullptr;
  if (auto* d = dynamic_cast<P::DenyFromContext*>(c)) {
    rule.action = A::kDenyFrom;
    ast::PrincipalKind kind = principal_kind(d->principalKind());
    rule.principals.push_back({kind, name(d->identifier())});
    for (auto* p : d->principal()) {
      if (p->principalKind() != nullptr) kind = principal_kind(p->principalKind());
      rule.principals.push_back({kind, name(p->identifier())});
    }
    when = d->expr();
  } else if (auto* w = dynamic_cast<P::DenyWhenContext*>(c)) {
    rule.action = A::kDenyWhen;
    when = w->expr();
  } else {
    rule.action = A::kAllowOnlyWhen;
    when = dynamic_cast<P::AllowOnlyWhenContext*>(c)->expr();
  }
  if (when == nullptr) return ok_status();
  auto e = condition(when);
  if (!e) return std::move(e).error();
  rule.condition = std::move(*e);
  return ok_status();
}

Result<ast::Statement> create_command_rule(P::CreateCommandRuleContext* c) {
  ast::CreateCommandRule rule;
  rule.name = name(c->name);
  for (auto* cmd : c->command()) {
    const ast::Command k = command(cmd);
    if (std::find(rule.commands.begin(), rule.commands.end(), k) != rule.commands.end()) {
      return error_at(sqlstate::kSyntaxError, "command " + cmd->getText() + " listed twice", cmd);
    }
    rule.commands.push_back(k);
  }
  rule.target = rule_target(c->ruleTarget());
  DBV_RETURN_IF_ERROR(rule_action(c->ruleAction(), rule));
  bool seen_message = false, seen_state = false;
  for (auto* option : c->ruleOption()) {
    const bool is_message = option->MESSAGE() != nullptr;
    if (std::exchange(is_message ? seen_message : seen_state, true)) {
      return error_at(sqlstate::kSyntaxError,
                      std::string("conflicting or redundant options: ") +
                          (is_message ? "MESSAGE" : "ENABLED/DISABLED/SIMULATION") + " given twice",
                      option);
    }
    if (is_message) {
      rule.message = text(option->string());
    } else {
      rule.state = object_state(option->objectState());
    }
  }
  return ast::Statement{std::move(rule)};
}

Result<ast::Statement> alter_command_rule(P::AlterCommandRuleContext* c) {
  using Ch = ast::AlterCommandRule::Change;
  ast::AlterCommandRule a{name(c->identifier()), Ch::kEnable, ""};
  if (c->DISABLE() || c->DISABLED()) {
    a.change = Ch::kDisable;
  } else if (c->SIMULATION()) {
    a.change = Ch::kSetSimulation;
  } else if (c->MESSAGE()) {
    a.change = Ch::kSetMessage;
    a.message = text(c->string());
  }
  return ast::Statement{std::move(a)};
}

Result<ast::Statement> create_rule_set(P::CreateRuleSetContext* c) {
  ast::CreateRuleSet set{name(c->identifier()), c->ALL() != nullptr, {}};
  for (auto* e : c->expr()) {
    auto cond = condition(e);
    if (!cond) return std::move(cond).error();
    set.conditions.push_back(std::move(*cond));
  }
  return ast::Statement{std::move(set)};
}

}  // namespace

std::optional<Result<ast::Statement>> rule_statement(P::StatementContext* c) {
  if (auto* s = c->createCommandRule()) return create_command_rule(s);
  if (auto* s = c->alterCommandRule()) return alter_command_rule(s);
  if (auto* s = c->dropCommandRule()) {
    return ast::Statement{ast::DropCommandRule{name(s->identifier()), s->ifExists() != nullptr}};
  }
  if (auto* s = c->createRuleSet()) return create_rule_set(s);
  if (auto* s = c->dropRuleSet()) {
    return ast::Statement{ast::DropRuleSet{name(s->identifier()), s->ifExists() != nullptr}};
  }
  return std::nullopt;
}

}  // namespace dbvault::grammar::build
