// CREATE / ALTER / DROP COMMAND RULE, CREATE / DROP RULE SET, ALTER DATABASE ... DATABASE VAULT.
// Rules and rule sets are stored as canonical SQL (grammar::to_sql) and compiled when a
// snapshot is built; they are compiled once here too, so that a rule naming an unknown role,
// realm or rule set is refused (42704) instead of being stored.
#include "grammar/grammar.h"
#include "vault/vault_impl.h"

namespace dbvault::vault {

namespace {

// The snapshot's names, plus a rule set being created; every table and column resolves (the
// rule's target objects are registered in the same transaction that stores the rule).
class ValidationResolver final : public rules::NameResolver {
 public:
  ValidationResolver(const PolicySnapshot& snap, const ast::CreateRuleSet* extra)
      : snap_(snap), extra_(extra) {}
  std::optional<rules::RoleId> find_role(std::string_view n) const override {
    return snap_.find_role(n);
  }
  std::optional<rules::UserId> find_user(std::string_view n) const override {
    return snap_.find_user(n);
  }
  std::optional<rules::RealmId> find_realm(std::string_view n) const override {
    return snap_.find_realm(n);
  }
  std::optional<rules::ObjectId> find_object(const ast::ObjectRef&) const override { return 0; }
  const ast::CreateRuleSet* find_rule_set(std::string_view n) const override {
    if (extra_ != nullptr && extra_->name == n) return extra_;
    return snap_.find_rule_set(n);
  }

 private:
  const PolicySnapshot& snap_;
  const ast::CreateRuleSet* extra_;
};

const RuleRow* find_row(const std::vector<RuleRow>& rows, std::string_view name) {
  for (const auto& r : rows) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

}  // namespace

Result<StatementResult> VaultImpl::run(Session& s, const ast::CreateCommandRule& st) {
  DBV_RETURN_IF_ERROR(require_role(s, kRoleVaultAdmin, "CREATE COMMAND RULE"));
  auto sn = snap();
  if (find_row(sn->data().command_rules, st.name) != nullptr) {
    return make_error(sqlstate::kDuplicateObject, "command rule " + st.name + " already exists");
  }
  ValidationResolver resolver(*sn, nullptr);
  rules::PredicateCompiler compiler(resolver);
  auto compiled = rules::compile_command_rule(st, 0, compiler);
  if (!compiled) return std::move(compiled).error();
  const std::string sql = grammar::to_sql(ast::Statement{st}, grammar::Secrets::kReveal);
  return apply_change(
      "CREATE COMMAND RULE",
      [&](PolicyStore::Db& db) -> Status {
        const auto kind = st.target.kind;
        if (kind == ast::RuleTarget::Kind::kTable || kind == ast::RuleTarget::Kind::kColumn) {
          const auto& o = st.target.object;
          auto id = store::ensure_object(db, store::schema_of(o.table), o.table.name, o.column);
          if (!id) return std::move(id).error();
        }
        return db.run("INSERT INTO command_rules (name, sql) VALUES (?, ?)", st.name, sql);
      },
      policy_event(*this, s, "CREATE COMMAND RULE", st.name));
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::AlterCommandRule& st) {
  DBV_RETURN_IF_ERROR(require_role(s, kRoleVaultAdmin, "ALTER COMMAND RULE"));
  auto sn = snap();
  const RuleRow* row = find_row(sn->data().command_rules, st.name);
  if (row == nullptr) {
    return make_error(sqlstate::kUndefinedObject, "command rule " + st.name + " does not exist");
  }
  auto parsed = grammar::parse(row->sql);
  if (!parsed) return std::move(parsed).error();
  auto* rule = std::get_if<ast::CreateCommandRule>(&parsed->node);
  if (rule == nullptr) {
    return make_error(sqlstate::kDataCorrupted, "stored command rule " + st.name + " is corrupt");
  }
  switch (st.change) {
    case ast::AlterCommandRule::Change::kEnable:
      rule->state = ast::ObjectState::kEnabled;
      break;
    case ast::AlterCommandRule::Change::kDisable:
      rule->state = ast::ObjectState::kDisabled;
      break;
    case ast::AlterCommandRule::Change::kSetSimulation:
      rule->state = ast::ObjectState::kSimulation;
      break;
    case ast::AlterCommandRule::Change::kSetMessage:
      rule->message = st.message;
      break;
  }
  const std::string sql = grammar::to_sql(*parsed, grammar::Secrets::kReveal);
  return apply_change(
      "ALTER COMMAND RULE",
      [&](PolicyStore::Db& db) {
        return db.run("UPDATE command_rules SET sql = ? WHERE id = ?", sql, row->id);
      },
      policy_event(*this, s, "ALTER COMMAND RULE", st.name));
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::DropCommandRule& st) {
  DBV_RETURN_IF_ERROR(require_role(s, kRoleVaultAdmin, "DROP COMMAND RULE"));
  auto sn = snap();
  const RuleRow* row = find_row(sn->data().command_rules, st.name);
  if (row == nullptr) {
    if (st.if_exists) return tag_only("DROP COMMAND RULE");
    return make_error(sqlstate::kUndefinedObject, "command rule " + st.name + " does not exist");
  }
  return apply_change(
      "DROP COMMAND RULE",
      [&](PolicyStore::Db& db) {
        return db.run("DELETE FROM command_rules WHERE id = ?", row->id);
      },
      policy_event(*this, s, "DROP COMMAND RULE", st.name));
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::CreateRuleSet& st) {
  DBV_RETURN_IF_ERROR(require_role(s, kRoleVaultAdmin, "CREATE RULE SET"));
  auto sn = snap();
  if (find_row(sn->data().rule_sets, st.name) != nullptr) {
    return make_error(sqlstate::kDuplicateObject, "rule set " + st.name + " already exists");
  }
  ValidationResolver resolver(*sn, &st);
  rules::PredicateCompiler compiler(resolver);
  auto compiled = compiler.compile_rule_set(st.name);
  if (!compiled) return std::move(compiled).error();
  const std::string sql = grammar::to_sql(ast::Statement{st}, grammar::Secrets::kReveal);
  return apply_change(
      "CREATE RULE SET",
      [&](PolicyStore::Db& db) {
        return db.run("INSERT INTO rule_sets (name, sql) VALUES (?, ?)", st.name, sql);
      },
      policy_event(*this, s, "CREATE RULE SET", st.name));
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::DropRuleSet& st) {
  DBV_RETURN_IF_ERROR(require_role(s, kRoleVaultAdmin, "DROP RULE SET"));
  auto sn = snap();
  const RuleRow* row = find_row(sn->data().rule_sets, st.name);
  if (row == nullptr) {
    if (st.if_exists) return tag_only("DROP RULE SET");
    return make_error(sqlstate::kUndefinedObject, "rule set " + st.name + " does not exist");
  }
  return apply_change(
      "DROP RULE SET",
      [&](PolicyStore::Db& db) { return db.run("DELETE FROM rule_sets WHERE id = ?", row->id); },
      policy_event(*this, s, "DROP RULE SET", st.name));
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::SetDatabaseVault& st) {
  const char* statement =
      st.enable ? "ALTER DATABASE ENABLE DATABASE VAULT" : "ALTER DATABASE DISABLE DATABASE VAULT";
  DBV_RETURN_IF_ERROR(require_role(s, kRoleVaultAdmin, statement));
  return apply_change(
      "ALTER DATABASE",
      [&](PolicyStore::Db& db) {
        return db.run("UPDATE settings SET value = ? WHERE key = 'vault_enabled'",
                      st.enable ? "1" : "0");
      },
      policy_event(*this, s, statement, "database vault"), /*durable=*/true);
}

}  // namespace dbvault::vault
