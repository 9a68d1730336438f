#include "grammar/ast.h"

#include <array>
#include <cctype>

namespace dbvault::ast {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

constexpr std::array<std::string_view, 7> kFactorNames{
    "CURRENT_USER", "SESSION_USER", "program_name", "client_ip",
    "auth_method",  "tls",          "CURRENT_TIMESTAMP"};
constexpr std::array<std::string_view, 6> kFunctionNames{
    "HOUR", "DAY_OF_WEEK", "HAS_ROLE", "IN_CIDR", "REALM_UNLOCKED", "RULE_SET"};
constexpr std::array<std::string_view, 4> kBuiltinRoleNames{"vault_admin", "audit_viewer",
                                                            "account_manager", "dba"};

template <typename E, std::size_t N>
std::optional<E> lookup(const std::array<std::string_view, N>& names, std::string_view name) {
  for (std::size_t i = 0; i < N; ++i) {
    if (iequals(names[i], name)) return static_cast<E>(i);
  }
  return std::nullopt;
}

// Statement kinds, in the order of Statement::Node's alternatives.
constexpr std::array<std::string_view, std::variant_size_v<Statement::Node>> kKinds{
    "CREATE REALM", "ALTER REALM", "ALTER REALM", "ALTER REALM", "ALTER REALM", "DROP REALM",
    "UNLOCK REALM", "LOCK REALM", "GRANT VAULT PASSWORD", "REVOKE VAULT PASSWORD",
    "REVOKE VAULT TOKEN", "EMERGENCY UNLOCK", "DECIDE EMERGENCY UNLOCK", "REVIEW EMERGENCY UNLOCK",
    "CREATE COMMAND RULE", "ALTER COMMAND RULE", "DROP COMMAND RULE", "CREATE RULE SET",
    "DROP RULE SET", "ALTER DATABASE", "CREATE USER", "ALTER USER", "DROP USER", "CREATE ROLE",
    "DROP ROLE", "GRANT ROLE", "GRANT", "EXPLAIN VAULT", "CREATE MASTER KEY",
    "ROTATE MASTER KEY", "CREATE TABLESPACE", "ALTER TABLESPACE", "ALTER TABLESPACE",
    "DROP TABLESPACE", "CREATE TABLE", "ALTER TABLE", "ALTER TABLE", "ALTER TABLE",
    "ALTER TABLE", "BACKUP DATABASE", "RESTORE DATABASE", "CREATE AUDIT HOLD", "DROP AUDIT HOLD",
    "VERIFY AUDIT LOG", "CONNECT", "ENGINE SQL"};

}  // namespace

std::optional<Factor> factor_from_name(std::string_view name) {
  return lookup<Factor>(kFactorNames, name);
}
std::optional<Function> function_from_name(std::string_view name) {
  return lookup<Function>(kFunctionNames, name);
}
std::string_view factor_name(Factor f) { return kFactorNames[static_cast<std::size_t>(f)]; }
std::string_view function_name(Function f) {
  return kFunctionNames[static_cast<std::size_t>(f)];
}
std::optional<BuiltinRole> builtin_role_from_name(std::string_view name) {
  // Names arrive normalised (unquoted folded to lower case), so "DBA" in quotes is not dba.
  for (std::size_t i = 0; i < kBuiltinRoleNames.size(); ++i) {
    if (kBuiltinRoleNames[i] == name) return static_cast<BuiltinRole>(i);
  }
  return std::nullopt;
}

std::string_view statement_kind(const Statement& s) {
  if (const auto* g = std::get_if<GrantRole>(&s.node)) return g->grant ? "GRANT ROLE" : "REVOKE ROLE";
  if (const auto* g = std::get_if<GrantPrivileges>(&s.node)) return g->grant ? "GRANT" : "REVOKE";
  if (const auto* d = std::get_if<DecideEmergencyUnlock>(&s.node)) {
    return d->approve ? "APPROVE EMERGENCY UNLOCK" : "REJECT EMERGENCY UNLOCK";
  }
  if (const auto* l = std::get_if<LockRealm>(&s.node)) {
    return l->realm ? "LOCK REALM" : "LOCK ALL REALMS";
  }
  return kKinds[s.node.index()];
}

bool carries_secret(const Statement& s) {
  return std::visit(
      [](const auto& n) {
        using N = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<N, CreateRealm>) return n.password.has_value();
        if constexpr (std::is_same_v<N, AlterRealmSet>) {
          return std::holds_alternative<AlterRealmSet::VaultPassword>(n.setting);
        }
        if constexpr (std::is_same_v<N, ExplainVault>) return carries_secret(*n.statement);
        return std::is_same_v<N, UnlockRealm> || std::is_same_v<N, CreateUser> ||
               std::is_same_v<N, AlterUser> || std::is_same_v<N, RestoreDatabase>;
      },
      s.node);
}

}  // namespace dbvault::ast
