// The typed AST of the SQL extension: one struct per statement form, all gathered in
// ast::Statement. docs/sql-reference.md documents the syntax each struct comes from.
//
// Names are stored normalised: unquoted identifiers folded to lower case, quoted ones kept
// exactly. Passwords and tokens are SecretStrings (zeroized, never printed by accident).
// Values only; thread-compatible.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/secret_string.h"
#include "grammar/ast_expr.h"

namespace dbvault::ast {

using Seconds = std::chrono::seconds;

enum class ObjectState { kEnabled, kDisabled, kSimulation };
enum class RealmMode { kMandatory, kRegular };
enum class PrincipalKind { kUser, kRole };

struct Principal {
  PrincipalKind kind;
  std::string name;
  bool operator==(const Principal&) const = default;
};

// [schema.]name
struct ObjectName {
  std::string schema;  // empty when not qualified
  std::string name;
  bool operator==(const ObjectName&) const = default;
};

// A table, or one column of it (column non-empty).
struct ObjectRef {
  ObjectName table;
  std::string column;
  bool operator==(const ObjectRef&) const = default;
};

// The page cipher of a tablespace (CREATE TABLESPACE, CREATE REALM ... TABLESPACE).
enum class Cipher { kAes256Gcm, kChaCha20Poly1305 };

// ---- Realms and access ----------------------------------------------------------------------
struct CreateRealm {
  std::string name;
  std::optional<std::string> description;
  std::optional<std::string> owner;
  bool require_password = false;
  std::optional<SecretString> password;  // only with REQUIRE VAULT PASSWORD 'pw'
  RealmMode mode = RealmMode::kMandatory;
  ObjectState state = ObjectState::kEnabled;
  // TABLESPACE ts [ENCRYPTION USING 'c']: the realm's own tablespace, created with it; every
  // table later created in it joins the realm (docs/encryption.md §9.7).
  std::optional<std::string> tablespace;
  Cipher tablespace_cipher = Cipher::kAes256Gcm;
  bool operator==(const CreateRealm&) const = default;
};
struct AlterRealmObjects {
  enum class Op { kAdd, kRemove };
  std::string realm;
  Op op;
  std::vector<ObjectRef> objects;
  bool operator==(const AlterRealmObjects&) const = default;
};
struct AlterRealmAuthorize {
  enum class As { kParticipant, kOwner };
  std::string realm;
  Principal principal;
  As as = As::kParticipant;
  bool operator==(const AlterRealmAuthorize&) const = default;
};
struct AlterRealmUnauthorize {
  std::string realm;
  Principal principal;
  bool operator==(const AlterRealmUnauthorize&) const = default;
};
struct AlterRealmSet {
  struct Owner {
    std::string user;
    bool operator==(const Owner&) const = default;
  };
  struct Description {
    std::string text;
    bool operator==(const Description&) const = default;
  };
  struct VaultPassword {
    SecretString password;
    bool operator==(const VaultPassword&) const = default;
  };
  std::string realm;
  std::variant<Owner, Description, VaultPassword, ObjectState> setting;
  bool operator==(const AlterRealmSet&) const = default;
};
struct DropRealm {
  std::string name;
  bool if_exists = false;
  bool operator==(const DropRealm&) const = default;
};
struct UnlockRealm {
  enum class By { kPassword, kToken };
  std::string realm;
  By by;
  SecretString secret;
  bool operator==(const UnlockRealm&) const = default;
};
struct LockRealm {
  std::optional<std::string> realm;  // nullopt: LOCK ALL REALMS
  bool operator==(const LockRealm&) const = default;
};
struct GrantVaultPassword {
  std::string realm;
  std::string user;
  Seconds valid_for;
  bool operator==(const GrantVaultPassword&) const = default;
};
struct RevokeVaultPassword {
  std::string realm;
  std::string user;
  bool operator==(const RevokeVaultPassword&) const = default;
};
struct RevokeVaultToken {
  std::string token_id;  // the token's public id, not the token itself
  bool operator==(const RevokeVaultToken&) const = default;
};
struct EmergencyUnlock {
  static constexpr Seconds kMaxValidity{3600};
  std::string realm;
  std::string authorized_by;
  std::string reason;
  Seconds valid_for;  // 1 s .. kMaxValidity
  bool operator==(const EmergencyUnlock&) const = default;
};
struct DecideEmergencyUnlock {
  bool approve;
  std::string request_id;
  bool operator==(const DecideEmergencyUnlock&) const = default;
};
struct ReviewEmergencyUnlock {
  std::string request_id;
  std::string notes;
  bool operator==(const ReviewEmergencyUnlock&) const = default;
};

// ---- Command rules ----------------------------------------------------------------------------
enum class Command {
  kSelect,
  kInsert,
  kUpdate,
  kDelete,
  kDrop,
  kTruncate,
  kAlter,
  kCreate,
  kGrant,
  kConnect,
  kExport,
  kAll,
};

struct RuleTarget {
  enum class Kind { kTable, kColumn, kRealm, kAny };
  Kind kind;
  ObjectRef object;   // kTable, kColumn
  std::string realm;  // kRealm
  bool operator==(const RuleTarget&) const = default;
};

struct CreateCommandRule {
  enum class Action { kDenyFrom, kDenyWhen, kAllowOnlyWhen };
  std::string name;
  std::vector<Command> commands;
  RuleTarget target;
  Action action;
  std::vector<Principal> principals;  // kDenyFrom
  std::optional<Expr> condition;      // required for kDenyWhen/kAllowOnlyWhen
  std::optional<std::string> message;
  ObjectState state = ObjectState::kEnabled;
  bool operator==(const CreateCommandRule&) const = default;
};
struct AlterCommandRule {
  enum class Change { kEnable, kDisable, kSetSimulation, kSetMessage };
  std::string name;
  Change change;
  std::string message;  // kSetMessage
  bool operator==(const AlterCommandRule&) const = default;
};
struct DropCommandRule {
  std::string name;
  bool if_exists = false;
  bool operator==(const DropCommandRule&) const = default;
};
struct CreateRuleSet {
  std::string name;
  bool match_all;  // ALL: every condition; ANY: at least one
  std::vector<Expr> conditions;
  bool operator==(const CreateRuleSet&) const = default;
};
struct DropRuleSet {
  std::string name;
  bool if_exists = false;
  bool operator==(const DropRuleSet&) const = default;
};

// ---- Vault administration, accounts, RBAC --------------------------------------------------
enum class BuiltinRole { kVaultAdmin, kAuditViewer, kAccountManager, kDba };
// REQUIRES: a normalised name; matches exactly vault_admin, audit_viewer, account_manager, dba.
std::optional<BuiltinRole> builtin_role_from_name(std::string_view name);

struct SetDatabaseVault {
  bool enable;
  bool operator==(const SetDatabaseVault&) const = default;
};
struct CreateUser {
  std::string name;
  SecretString password;
  bool operator==(const CreateUser&) const = default;
};
struct AlterUser {
  std::string name;
  SecretString password;
  bool operator==(const AlterUser&) const = default;
};
// CASCADE: drop even when command rules name the user or role (they then fail closed).
struct DropUser {
  std::string name;
  bool if_exists = false;
  bool cascade = false;
  bool operator==(const DropUser&) const = default;
};
struct CreateRole {
  std::string name;
  bool operator==(const CreateRole&) const = default;
};
struct DropRole {
  std::string name;
  bool if_exists = false;
  bool cascade = false;  // as DropUser
  bool operator==(const DropRole&) const = default;
};
// GRANT role TO user / REVOKE role FROM user. `builtin` is set when the role is one of the
// separation-of-duty roles (VAULT_ADMIN, AUDIT_VIEWER, ACCOUNT_MANAGER, DBA).
struct GrantRole {
  bool grant;
  std::string role;
  std::optional<BuiltinRole> builtin;
  std::string grantee;
  bool operator==(const GrantRole&) const = default;
};
enum class Privilege { kSelect, kInsert, kUpdate, kDelete, kAll };
struct GrantPrivileges {
  bool grant;
  std::vector<Privilege> privileges;
  ObjectName table;
  std::string grantee;
  bool operator==(const GrantPrivileges&) const = default;
};

// ---- Keys and encryption -----------------------------------------------------------------------
enum class KeyProviderKind { kHsm, kKms, kFile, kEnv };
struct CreateMasterKey {
  KeyProviderKind provider;
  std::string key_id;
  bool operator==(const CreateMasterKey&) const = default;
};
struct RotateMasterKey {
  std::optional<std::string> new_key_id;
  bool operator==(const RotateMasterKey&) const = default;
};
struct CreateTablespace {
  std::string name;
  Cipher cipher;
  std::optional<std::string> key_id;
  bool operator==(const CreateTablespace&) const = default;
};
struct EnableTablespaceEncryption {
  std::string name;
  Cipher cipher;
  bool operator==(const EnableTablespaceEncryption&) const = default;
};
struct RotateTablespaceKey {
  std::string name;
  bool operator==(const RotateTablespaceKey&) const = default;
};
// DROP TABLESPACE [IF EXISTS] ts: refused while a table is stored in it.
struct DropTablespace {
  std::string name;
  bool if_exists = false;
  bool operator==(const DropTablespace&) const = default;
};
// CREATE TABLE with ENCRYPTED columns and/or TABLESPACE ts. `engine_sql` is the statement
// with exactly those markers removed, for the engine to run unchanged otherwise.
struct CreateTable {
  ObjectName table;
  std::vector<std::string> columns;
  std::vector<std::string> encrypted_columns;
  std::optional<std::string> tablespace;
  std::string engine_sql;
  std::string source;      // the statement as written; what to_sql prints
  bool temporary = false;  // CREATE TEMP|TEMPORARY TABLE
  // The encrypted columns marked ENCRYPTED WITH (TYPE = DETERMINISTIC); the others are
  // RANDOMIZED (the default, also ENCRYPTED WITH (TYPE = RANDOMIZED)).
  std::vector<std::string> deterministic_columns;
  bool operator==(const CreateTable&) const = default;
};
struct RotateTableKey {
  ObjectName table;
  bool operator==(const RotateTableKey&) const = default;
};
struct SetColumnEncryption {
  enum class Type { kDeterministic, kRandomized };
  ObjectName table;
  std::string column;
  Type type;
  std::string key_id;
  std::optional<std::string> algorithm;
  bool operator==(const SetColumnEncryption&) const = default;
};
enum class MaskingMode { kFull, kPartial, kHash, kNull };
struct SetColumnMasking {
  ObjectName table;
  std::string column;
  MaskingMode mode;
  std::optional<std::string> for_role;
  bool operator==(const SetColumnMasking&) const = default;
};
struct DropColumnMasking {
  ObjectName table;
  std::string column;
  std::optional<std::string> for_role;
  bool operator==(const DropColumnMasking&) const = default;
};
struct BackupDatabase {
  std::string path;
  std::string key_id;
  bool operator==(const BackupDatabase&) const = default;
};
struct RestoreDatabase {
  std::string path;
  std::string key_id;
  SecretString vault_password;
  bool operator==(const RestoreDatabase&) const = default;
};

// ---- Audit
// ----------------------------------------------------------------------------------------
struct CreateAuditHold {
  std::string name;
  std::chrono::sys_seconds from;
  std::chrono::sys_seconds to;
  std::string reason;
  bool operator==(const CreateAuditHold&) const = default;
};
struct DropAuditHold {
  std::string name;
  bool if_exists = false;
  bool operator==(const DropAuditHold&) const = default;
};
struct VerifyAuditLog {
  bool operator==(const VerifyAuditLog&) const = default;
};

// ---- Other
// ---------------------------------------------------------------------------------------- CONNECT
// user [/ password]: the design document's client command. The password is dropped.
struct Connect {
  std::string user;
  bool operator==(const Connect&) const = default;
};
// Ordinary SQL for the engine, unchanged.
struct EngineSql {
  std::string text;
  bool operator==(const EngineSql&) const = default;
};

struct Statement;
// EXPLAIN VAULT <statement>: the inner statement (EngineSql for ordinary SQL).
struct ExplainVault {
  Box<Statement> statement;
  bool operator==(const ExplainVault&) const = default;
};

struct Statement {
  using Node = std::variant<
      CreateRealm, AlterRealmObjects, AlterRealmAuthorize, AlterRealmUnauthorize, AlterRealmSet,
      DropRealm, UnlockRealm, LockRealm, GrantVaultPassword, RevokeVaultPassword, RevokeVaultToken,
      EmergencyUnlock, DecideEmergencyUnlock, ReviewEmergencyUnlock, CreateCommandRule,
      AlterCommandRule, DropCommandRule, CreateRuleSet, DropRuleSet, SetDatabaseVault, CreateUser,
      AlterUser, DropUser, CreateRole, DropRole, GrantRole, GrantPrivileges, ExplainVault,
      CreateMasterKey, RotateMasterKey, CreateTablespace, EnableTablespaceEncryption,
      RotateTablespaceKey, DropTablespace, CreateTable, RotateTableKey, SetColumnEncryption,
      SetColumnMasking, DropColumnMasking, BackupDatabase, RestoreDatabase, CreateAuditHold,
      DropAuditHold, VerifyAuditLog, Connect, EngineSql>;
  Node node;
  bool operator==(const Statement&) const = default;
};

// A short upper-case name of the statement form, e.g. "CREATE REALM", "UNLOCK REALM",
// "ENGINE SQL". Used as the command tag and in logs.
std::string_view statement_kind(const Statement& s);

// True for statement forms whose text carries a secret (a password or a token), so that
// callers log a redacted form only.
bool carries_secret(const Statement& s);

}  // namespace dbvault::ast
