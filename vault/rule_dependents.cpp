#include "vault/rule_dependents.h"

#include <type_traits>

#include "grammar/grammar.h"

namespace dbvault::vault {

namespace {

// True if `e` contains HAS_ROLE('<role>') with that literal argument.
bool names_role(const ast::Expr& e, std::string_view role) {
  return std::visit(
      [&](const auto& n) -> bool {
        using T = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<T, ast::Call>) {
          for (const auto& a : n.args) {
            if (names_role(a, role)) return true;
          }
          if (n.function != ast::Function::kHasRole || n.args.size() != 1) return false;
          const auto* lit = std::get_if<ast::Literal>(&n.args[0].node);
          const auto* text = lit ? std::get_if<std::string>(&lit->value) : nullptr;
          return text != nullptr && *text == role;
        } else if constexpr (std::is_same_v<T, ast::Not> || std::is_same_v<T, ast::IsNull>) {
          return names_role(*n.operand, role);
        } else if constexpr (std::is_same_v<T, ast::Logical> || std::is_same_v<T, ast::Compare>) {
          return names_role(*n.lhs, role) || names_role(*n.rhs, role);
        } else if constexpr (std::is_same_v<T, ast::Between>) {
          return names_role(*n.operand, role) || names_role(*n.low, role) ||
                 names_role(*n.high, role);
        } else if constexpr (std::is_same_v<T, ast::InList>) {
          if (names_role(*n.operand, role)) return true;
          for (const auto& i : n.items) {
            if (names_role(i, role)) return true;
          }
          return false;
        } else if constexpr (std::is_same_v<T, ast::Like>) {
          return names_role(*n.operand, role) || names_role(*n.pattern, role);
        } else {
          return false;  // literals and factors name no role
        }
      },
      e.node);
}

bool rule_names(const ast::CreateCommandRule& r, ast::PrincipalKind kind, std::string_view name) {
  for (const auto& p : r.principals) {
    if (p.kind == kind && p.name == name) return true;
  }
  return kind == ast::PrincipalKind::kRole && r.condition && names_role(*r.condition, name);
}

bool rule_set_names(const ast::CreateRuleSet& r, ast::PrincipalKind kind, std::string_view name) {
  if (kind != ast::PrincipalKind::kRole) return false;
  for (const auto& c : r.conditions) {
    if (names_role(c, name)) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> rules_naming(const PolicySnapshot& snap, ast::PrincipalKind kind,
                                      std::string_view name) {
  std::vector<std::string> out;
  for (const auto& row : snap.data().command_rules) {
    auto st = grammar::parse(row.sql);
    const auto* rule = st.ok() ? std::get_if<ast::CreateCommandRule>(&st->node) : nullptr;
    if (rule != nullptr && rule_names(*rule, kind, name)) out.push_back("command rule " + row.name);
  }
  for (const auto& row : snap.data().rule_sets) {
    auto st = grammar::parse(row.sql);
    const auto* set = st.ok() ? std::get_if<ast::CreateRuleSet>(&st->node) : nullptr;
    if (set != nullptr && rule_set_names(*set, kind, name)) out.push_back("rule set " + row.name);
  }
  return out;
}

}  // namespace dbvault::vault
