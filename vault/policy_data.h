// PolicyData: the policy store's rows as plain values — what PolicyStore::load() returns and
// PolicySnapshot::build() consumes. Ids are the store's row ids (AUTOINCREMENT, never reused),
// which is why they can serve directly as the dense ids of rules/ids.h: a session that holds
// realm 7 unlocked keeps meaning realm 7 across snapshots, and a dropped realm's id never
// returns. Times are microseconds since the Unix epoch (UTC). Values only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "grammar/ast.h"

namespace dbvault::vault {

// Built-in roles have fixed ids, created by the first migration.
inline constexpr std::uint32_t kRoleVaultAdmin = 1;
inline constexpr std::uint32_t kRoleAuditViewer = 2;
inline constexpr std::uint32_t kRoleAccountManager = 3;
inline constexpr std::uint32_t kRoleDba = 4;

// Table privileges as bits.
enum PrivilegeBit : std::uint32_t {
  kPrivSelect = 1,
  kPrivInsert = 2,
  kPrivUpdate = 4,
  kPrivDelete = 8,
  kPrivAll = 15,
};

struct UserRow {
  std::uint32_t id = 0;
  std::string name;
  std::string scram_verifier;
};
struct RoleRow {
  std::uint32_t id = 0;
  std::string name;
  bool builtin = false;
};
// `member` (a user or a role) is a member of role `role_id`.
struct MembershipRow {
  std::uint32_t role_id = 0;
  ast::PrincipalKind member_kind = ast::PrincipalKind::kUser;
  std::uint32_t member_id = 0;
};
// A table (column empty) or a column. Schema "main" when the name was not qualified.
struct ObjectRow {
  std::uint32_t id = 0;
  std::string schema;
  std::string table;
  std::string column;
  std::uint32_t owner_user = 0;  // 0: no recorded owner
};
struct PrivilegeRow {
  std::uint32_t object_id = 0;  // a table
  ast::PrincipalKind grantee_kind = ast::PrincipalKind::kUser;
  std::uint32_t grantee_id = 0;
  std::uint32_t privileges = 0;  // PrivilegeBit mask
};
struct RealmRow {
  std::uint32_t id = 0;
  std::string name;
  std::string description;
  std::uint32_t owner_user = 0;  // 0: none
  ast::RealmMode mode = ast::RealmMode::kMandatory;
  ast::ObjectState state = ast::ObjectState::kEnabled;
  bool require_password = false;
  bool has_password = false;  // the PHC string itself stays in the store
};
struct RealmObjectRow {
  std::uint32_t realm_id = 0;
  std::uint32_t object_id = 0;
};
// A realm's own tablespace (CREATE REALM ... TABLESPACE), by its folded name.
struct RealmTablespaceRow {
  std::uint32_t realm_id = 0;
  std::string tablespace;
};
struct AuthorizationRow {
  std::uint32_t realm_id = 0;
  ast::PrincipalKind kind = ast::PrincipalKind::kUser;
  std::uint32_t principal_id = 0;
  bool as_owner = false;
};
// An approved emergency unlock that grants access until `expires_at`.
struct EmergencyAccessRow {
  std::uint32_t realm_id = 0;
  std::uint32_t user_id = 0;
  std::int64_t expires_at = 0;
};
// A pending emergency request (use of the realm meanwhile is 55000).
struct EmergencyPendingRow {
  std::uint32_t realm_id = 0;
  std::uint32_t user_id = 0;
};
// A command rule or rule set, as canonical SQL (grammar::to_sql) to re-parse.
struct RuleRow {
  std::uint32_t id = 0;
  std::string name;
  std::string sql;
};

// A masking policy (docs/encryption.md, "Masking"): `column` of `schema`.`table` is masked
// with `mode` for sessions holding role `role_id`, or for every session when it is 0.
struct MaskingRow {
  std::uint32_t id = 0;
  std::string schema;
  std::string table;
  std::string column;
  ast::MaskingMode mode = ast::MaskingMode::kFull;
  std::uint32_t role_id = 0;  // 0: every session
};

struct PolicyData {
  std::uint64_t version = 0;  // increases with every committed change
  bool vault_enabled = true;
  std::vector<UserRow> users;
  std::vector<RoleRow> roles;
  std::vector<MembershipRow> memberships;
  std::vector<ObjectRow> objects;
  std::vector<PrivilegeRow> privileges;
  std::vector<RealmRow> realms;
  std::vector<RealmObjectRow> realm_objects;
  std::vector<RealmTablespaceRow> realm_tablespaces;
  std::vector<AuthorizationRow> authorizations;
  std::vector<std::uint32_t> revoked_tokens;  // token row ids
  std::vector<EmergencyAccessRow> emergency_access;
  std::vector<EmergencyPendingRow> emergency_pending;
  std::vector<RuleRow> command_rules;
  std::vector<RuleRow> rule_sets;
  std::vector<MaskingRow> maskings;
};

}  // namespace dbvault::vault
