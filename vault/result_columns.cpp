// The result columns of the vault statements that return rows, known before they run — for
// a host's Describe of a prepared statement (the PostgreSQL extended protocol). They must stay
// the columns the executors return: tests/clients/test_extended_protocol.py checks them over
// the wire.
#include "vault/vault.h"

namespace dbvault::vault {

std::vector<std::string> result_columns(const ast::Statement& statement) {
  return std::visit(
      [](const auto& node) -> std::vector<std::string> {
        using T = std::decay_t<decltype(node)>;
        if constexpr (std::is_same_v<T, ast::UnlockRealm>) {
          return {"realm", "token", "token_id", "expires_at"};
        } else if constexpr (std::is_same_v<T, ast::GrantVaultPassword>) {
          return {"realm", "user", "password", "password_id", "expires_at"};
        } else if constexpr (std::is_same_v<T, ast::EmergencyUnlock>) {
          return {"request_id", "realm", "state"};
        } else if constexpr (std::is_same_v<T, ast::BackupDatabase>) {
          return {"path", "backup_id", "files", "bytes", "restore_password"};
        } else if constexpr (std::is_same_v<T, ast::RestoreDatabase>) {
          return {"data_dir", "backup_id", "files", "bytes", "audit_records"};
        } else if constexpr (std::is_same_v<T, ast::VerifyAuditLog>) {
          return {"status", "records", "purged", "last_seq"};
        } else if constexpr (std::is_same_v<T, ast::ExplainVault>) {
          return {"object", "check", "verdict", "why"};
        } else {
          return {};
        }
      },
      statement.node);
}

}  // namespace dbvault::vault
