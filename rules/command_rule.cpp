#include "rules/command_rule.h"

#include <array>

#include "grammar/printer.h"

namespace dbvault::rules {
namespace {

using Action = ast::CreateCommandRule::Action;
using Kind = ast::RuleTarget::Kind;

Error undefined(std::string_view what, std::string_view name) {
  return make_error(sqlstate::kUndefinedObject,
                    std::string(what) + " \"" + std::string(name) + "\" does not exist");
}

std::string object_text(const ast::ObjectRef& ref) {
  std::string out;
  if (!ref.table.schema.empty()) out = grammar::quote_identifier(ref.table.schema) + ".";
  out += grammar::quote_identifier(ref.table.name);
  if (!ref.column.empty()) out += "." + grammar::quote_identifier(ref.column);
  return out;
}

Status resolve_target(const ast::RuleTarget& t, const NameResolver& r, CommandRule& out) {
  out.target = t.kind;
  switch (t.kind) {
    case Kind::kAny:
      out.target_text = "ANY";
      return ok_status();
    case Kind::kRealm: {
      const auto id = r.find_realm(t.realm);
      if (!id) return undefined("realm", t.realm);
      out.target_id = *id;
      out.target_text = "REALM " + grammar::quote_identifier(t.realm);
      return ok_status();
    }
    case Kind::kTable:
    case Kind::kColumn: {
      const auto id = r.find_object(t.object);
      const std::string text = object_text(t.object);
      if (!id) return undefined(t.kind == Kind::kTable ? "table" : "column", text);
      out.target_id = *id;
      out.target_text = (t.kind == Kind::kTable ? "TABLE " : "COLUMN ") + text;
      return ok_status();
    }
  }
  return ok_status();
}

Status resolve_principals(const std::vector<ast::Principal>& ps, const NameResolver& r,
                          CommandRule& out) {
  for (const auto& p : ps) {
    const bool user = p.kind == ast::PrincipalKind::kUser;
    const auto id = user ? r.find_user(p.name) : r.find_role(p.name);
    if (!id) return undefined(user ? "user" : "role", p.name);
    out.principals.push_back({p.kind, *id, p.name});
  }
  return ok_status();
}

// The verdict of the rule's action given its condition's value.
RuleCheck verdict(Action action, TriBool v) {
  switch (v) {
    case TriBool::kTrue:
      return {action != Action::kAllowOnlyWhen, RuleReason::kConditionTrue};
    case TriBool::kFalse:
      return {action == Action::kAllowOnlyWhen, RuleReason::kConditionFalse};
    case TriBool::kUnknown:
      break;
  }
  return {true, RuleReason::kConditionUnknown};
}

std::string principal_text(const CommandRule::Principal& p) {
  return (p.kind == ast::PrincipalKind::kUser ? "USER " : "ROLE ") +
         grammar::quote_identifier(p.name);
}

}  // namespace

CommandMask command_mask(ast::Command c) {
  if (c == ast::Command::kAll) return ~CommandMask{0};
  return CommandMask{1} << static_cast<unsigned>(c);
}

std::string_view command_name(ast::Command c) {
  static constexpr std::array<std::string_view, 12> kNames{"SELECT", "INSERT",   "UPDATE", "DELETE",
                                                           "DROP",   "TRUNCATE", "ALTER",  "CREATE",
                                                           "GRANT",  "CONNECT",  "EXPORT", "ALL"};
  const auto i = static_cast<std::size_t>(c);
  return i < kNames.size() ? kNames[i] : "?";
}

const CommandRule::Principal* CommandRule::matching_principal(const Factors& f) const {
  for (const Principal& p : principals) {
    const bool match = p.kind == ast::PrincipalKind::kUser
                           ? (p.id == f.current_user_id || p.id == f.session_user_id)
                           : f.roles.test(p.id);
    if (match) return &p;
  }
  return nullptr;
}

RuleCheck CommandRule::check(const Factors& f) const {
  if (action == Action::kDenyFrom) {
    if (matching_principal(f) == nullptr) return {false, RuleReason::kNoPrincipalMatched};
    if (!condition) return {true, RuleReason::kPrincipalMatched};
  }
  if (!condition) return {true, RuleReason::kEvaluationError};  // cannot happen once compiled
  const std::optional<TriBool> v = condition->try_eval(f);
  if (!v) return {true, RuleReason::kEvaluationError};
  return verdict(action, *v);
}

std::string CommandRule::explain(const Factors& f, RuleCheck* out) const {
  const RuleCheck c = check(f);
  if (out != nullptr) *out = c;
  std::string why;
  if (action == Action::kDenyFrom) {
    const Principal* p = matching_principal(f);
    if (p == nullptr) {
      why = "session is none of";
      for (std::size_t i = 0; i < principals.size(); ++i) {
        why += (i == 0 ? " " : ", ") + principal_text(principals[i]);
      }
      return why;
    }
    why = "session is " + principal_text(*p);
    if (!condition) return why;
    why += "; ";
  }
  if (!condition) return why + "rule has no condition (fail closed)";
  switch (c.reason) {
    case RuleReason::kConditionTrue:
      why += "condition is TRUE: ";
      break;
    case RuleReason::kConditionFalse:
      why += "condition is FALSE: ";
      break;
    case RuleReason::kConditionUnknown:
      why += "condition is UNKNOWN (fail closed): ";
      break;
    case RuleReason::kEvaluationError: {
      auto v = condition->eval(f);
      why += "condition could not be evaluated (fail closed): " +
             (v.ok() ? std::string("?") : v.error().message) + ": ";
      break;
    }
    default:
      break;
  }
  return why + condition->source();
}

Result<CommandRule> compile_command_rule(const ast::CreateCommandRule& rule, RuleId id,
                                         PredicateCompiler& compiler) {
  CommandRule out;
  out.id = id;
  out.name = rule.name;
  out.action = rule.action;
  out.state = rule.state;
  if (rule.commands.empty()) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "command rule \"" + rule.name + "\" names no command");
  }
  bool connect = false;
  bool all = false;
  for (ast::Command c : rule.commands) {
    out.commands |= command_mask(c);
    connect |= c == ast::Command::kConnect;
    all |= c == ast::Command::kAll;
  }
  out.at_login = connect || (all && rule.target.kind == Kind::kAny);
  DBV_RETURN_IF_ERROR(resolve_target(rule.target, compiler.resolver(), out));
  DBV_RETURN_IF_ERROR(resolve_principals(rule.principals, compiler.resolver(), out));
  if (rule.condition) {
    auto c = compiler.compile(*rule.condition);
    if (!c) return std::move(c).error();
    out.condition = std::move(*c);
  } else if (rule.action != Action::kDenyFrom) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "command rule \"" + rule.name + "\" needs a condition");
  }
  out.message = rule.message ? *rule.message : "denied by command rule \"" + rule.name + "\"";
  return out;
}

}  // namespace dbvault::rules
