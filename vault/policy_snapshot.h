// PolicySnapshot: an immutable, indexed copy of the policy, built from the store after every
// change and published with an atomic swap (SnapshotHolder). Deciding reads only a snapshot:
// no SQLite, no lock, no allocation on the allow path.
//
// Ids are the store's row ids (see policy_data.h): stable across snapshots, so a session's
// unlocked-realm bitset stays meaningful when a new snapshot is published.
//
// Thread-safety: a PolicySnapshot is immutable; share it freely. SnapshotHolder::load/publish
// may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "grammar/ast.h"
#include "rules/rules.h"
#include "vault/policy_data.h"

namespace dbvault::vault {

struct RealmInfo {
  bool exists = false;
  std::string name;
  std::string description;
  ast::RealmMode mode = ast::RealmMode::kMandatory;
  ast::ObjectState state = ast::ObjectState::kEnabled;
  bool require_password = false;
  bool has_password = false;
  std::uint32_t owner_user = 0;
  bool has_authorizations = false;
  std::vector<std::uint32_t> users;        // authorized users (participants and owners)
  std::vector<std::uint32_t> owner_users;  // users authorized AS OWNER (+ owner_user)
  std::vector<std::uint64_t> roles;        // bitset: authorized roles
  std::vector<std::uint64_t> owner_roles;  // bitset: roles authorized AS OWNER
};

// The hot part of an object, kept small so that 100,000 of them stay cache-friendly; the
// names live apart (PolicySnapshot::object_name).
struct ObjectInfo {
  rules::ObjectId table_id = rules::kNoId;  // for a column: its table
  std::uint32_t owner_user = 0;             // the table's recorded owner (0: none)
  std::uint32_t realm_offset = 0;           // realms: realm_words_[offset, offset + stride)
  std::uint32_t grant_offset = 0;           // the table's grants: grants_[offset, +count)
  std::uint16_t grant_count = 0;
  bool exists = false;
  bool in_realm = false;
};

// A REGULAR realm exempts the recorded owner of its object (the decision's realm check and
// the key layer both ask this).
inline bool owner_exempt(const RealmInfo& realm, const ObjectInfo& object, std::uint32_t user) {
  return realm.mode == ast::RealmMode::kRegular && object.owner_user != 0 &&
         object.owner_user == user;
}

struct ObjectName {
  std::string schema, table, column;
};

// One table privilege grant.
struct TableGrant {
  ast::PrincipalKind grantee_kind = ast::PrincipalKind::kUser;
  std::uint32_t grantee_id = 0;
  std::uint32_t privileges = 0;
};

class PolicySnapshot final : public rules::NameResolver {
 public:
  // Builds the indexes and compiles every command rule. A rule that no longer compiles (a
  // role it names was dropped, ...) is kept in force as a rule ON ANY that always denies its
  // commands (fail closed) and reported in compile_errors().
  // `parsed`, when given, maps stored rule SQL to its parse and is reused across builds (a
  // rule unchanged since the last build is not parsed again); entries of rules that are gone
  // are dropped. REQUIRES: one build at a time per cache.
  using ParseCache = std::unordered_map<std::string, Result<ast::Statement>>;
  static std::shared_ptr<const PolicySnapshot> build(PolicyData data, ParseCache* parsed = nullptr);

  std::uint64_t version() const { return data_.version; }
  bool vault_enabled() const { return data_.vault_enabled; }
  const PolicyData& data() const { return data_; }

  // ---- names ----
  std::optional<rules::RoleId> find_role(std::string_view name) const override;
  std::optional<rules::UserId> find_user(std::string_view name) const override;
  std::optional<rules::RealmId> find_realm(std::string_view name) const override;
  std::optional<rules::ObjectId> find_object(const ast::ObjectRef& ref) const override;
  // The realm whose own tablespace `tablespace` is (CREATE REALM ... TABLESPACE), by name,
  // ASCII case-insensitive; nullopt when none claims it.
  std::optional<rules::RealmId> realm_of_tablespace(std::string_view tablespace) const;
  const ast::CreateRuleSet* find_rule_set(std::string_view name) const override;
  // Object names compare as SQLite compares them: ASCII case-insensitive in schema, table
  // and column ("main.\"Patients\"" is main.patients). Store rows whose names differ only in
  // case are one object (the lowest id; their realms and grants united, their owner the
  // common one or none).
  // The object a statement touches: the column when it is registered, else its table.
  // nullopt when not even the table is known. Callers resolve once per prepared statement.
  std::optional<rules::ObjectId> resolve_access_object(const ast::ObjectRef& ref) const;
  std::string object_name(rules::ObjectId id) const;  // "main.users.ssn"
  std::string_view user_name(std::uint32_t id) const;
  std::string_view role_name(std::uint32_t id) const;

  // ---- hot path ----
  const ObjectInfo* object(rules::ObjectId id) const {
    return id < objects_.size() && objects_[id].exists ? &objects_[id] : nullptr;
  }
  void prefetch_object(rules::ObjectId id) const {
    if (id < objects_.size()) __builtin_prefetch(&objects_[id]);
  }
  const RealmInfo* realm(rules::RealmId id) const {
    return id < realms_.size() && realms_[id].exists ? &realms_[id] : nullptr;
  }
  std::uint32_t realm_capacity() const { return static_cast<std::uint32_t>(realms_.size()); }
  // Every realm protecting the object (for a column, its table's realms too).
  rules::BitsetView realms_of(const ObjectInfo& o) const {
    if (!o.in_realm) return {};
    return rules::BitsetView({realm_words_.data() + o.realm_offset, realm_stride_});
  }
  // The user's effective roles: direct, inherited, built-in. Empty for unknown users.
  rules::BitsetView roles_of(std::uint32_t user) const;
  bool has_role(std::uint32_t user, std::uint32_t role) const { return roles_of(user).test(role); }
  bool token_revoked(std::uint32_t token_row) const {
    return rules::BitsetView(revoked_tokens_).test(token_row);
  }
  // Approved emergency access of `user` on `realm` ending after `now_us`.
  bool emergency_active(std::uint32_t user, rules::RealmId realm, std::int64_t now_us) const;
  bool emergency_pending(std::uint32_t user, rules::RealmId realm) const;
  // True if `user` (or one of its roles) is authorized on the realm; `as_owner` requires an
  // owner authorization (or being the realm's OWNER).
  bool authorized(std::uint32_t user, const RealmInfo& realm, bool as_owner) const;
  // RBAC: may `user` run `command` on table/column `o`? DBA and the table owner may do
  // everything; otherwise SELECT/INSERT/UPDATE/DELETE (EXPORT counts as SELECT) need a grant
  // to the user or one of its roles, and every other command is refused.
  bool rbac_allows(std::uint32_t user, ast::Command command, const ObjectInfo& o,
                   rules::ObjectId id) const;

  const rules::RuleIndex& rules() const { return rule_index_; }
  const std::vector<std::string>& compile_errors() const { return compile_errors_; }

 private:
  PolicySnapshot() = default;
  void index_principals();
  void index_objects();
  void index_realms();
  void compile_rules(ParseCache* parsed);

  PolicyData data_;
  std::unordered_map<std::string, std::uint32_t> users_, roles_, realms_by_name_, objects_by_name_;
  std::map<std::string, ast::CreateRuleSet, std::less<>> rule_sets_;
  std::vector<std::string> user_names_, role_names_;
  std::size_t role_stride_ = 1;
  std::vector<std::uint64_t> user_roles_;  // user id * role_stride_ .. : effective roles
  std::vector<ObjectInfo> objects_;
  std::size_t realm_stride_ = 1;
  std::vector<std::uint64_t> realm_words_;  // interned realm sets, realm_stride_ words each
  std::vector<RealmInfo> realms_;
  std::vector<std::uint64_t> revoked_tokens_;
  std::vector<ObjectName> object_names_;  // by object id
  std::vector<std::uint32_t> canonical_;  // by object id: the id its folded name resolves to
  std::vector<TableGrant> grants_;        // grouped by table (ObjectInfo::grant_offset)
  rules::RuleIndex rule_index_;
  std::vector<std::string> compile_errors_;
};

// Holds the current snapshot. Readers take no lock (std::atomic<std::shared_ptr>).
class SnapshotHolder {
 public:
  std::shared_ptr<const PolicySnapshot> load() const {
    return current_.load(std::memory_order_acquire);
  }
  void publish(std::shared_ptr<const PolicySnapshot> s) {
    current_.store(std::move(s), std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_release);
  }
  // Moves with every publish (never back, never reused by this holder): a cache of what was
  // resolved against one snapshot (object ids) is valid while this has not moved.
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // A reader's reference to the snapshot it last read (e.g. one per worker thread). Keeps
  // that one snapshot alive until the pin is used again after a publish, or destroyed.
  class Pin {
    friend class SnapshotHolder;
    std::uint64_t holder_ = 0;  // SnapshotHolder::id_ (unique in the process, never reused)
    std::uint64_t generation_ = 0;
    std::shared_ptr<const PolicySnapshot> snapshot_;
  };
  // The current snapshot, read through `pin`: one atomic load when nothing was published
  // since the pin last read this holder, else a load() (which takes a lock bit and a
  // reference count). nullptr before the first publish. The pointer stays valid until `pin`
  // is used again or destroyed.
  const PolicySnapshot* current(Pin& pin) const {
    const std::uint64_t g = generation_.load(std::memory_order_acquire);
    if (pin.holder_ != id_ || pin.generation_ != g) {
      pin.snapshot_ = load();
      pin.holder_ = id_;
      pin.generation_ = g;
    }
    return pin.snapshot_.get();
  }

 private:
  static std::uint64_t next_id() {
    static std::atomic<std::uint64_t> ids{0};
    return ids.fetch_add(1, std::memory_order_relaxed) + 1;
  }

  const std::uint64_t id_ = next_id();
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<std::shared_ptr<const PolicySnapshot>> current_;
};

}  // namespace dbvault::vault
