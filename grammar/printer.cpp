#include "grammar/printer.h"

#include "grammar/interval.h"
#include "grammar/timestamp.h"

namespace dbvault::grammar {
namespace {

using namespace ast;

std::string_view state_sql(ObjectState s) {
  switch (s) {
    case ObjectState::kEnabled:
      return "ENABLED";
    case ObjectState::kDisabled:
      return "DISABLED";
    case ObjectState::kSimulation:
      return "SIMULATION";
  }
  return "";
}
std::string_view kind_sql(PrincipalKind k) { return k == PrincipalKind::kUser ? "USER" : "ROLE"; }
std::string_view cipher_sql(Cipher c) {
  return c == Cipher::kAes256Gcm ? "'AES256-GCM'" : "'CHACHA20-POLY1305'";
}
std::string_view command_sql(Command c) {
  static constexpr std::string_view kNames[] = {"SELECT", "INSERT",   "UPDATE", "DELETE",
                                                "DROP",   "TRUNCATE", "ALTER",  "CREATE",
                                                "GRANT",  "CONNECT",  "EXPORT", "ALL"};
  return kNames[static_cast<int>(c)];
}
std::string_view privilege_sql(Privilege p) {
  static constexpr std::string_view kNames[] = {"SELECT", "INSERT", "UPDATE", "DELETE", "ALL"};
  return kNames[static_cast<int>(p)];
}
std::string_view masking_sql(MaskingMode m) {
  static constexpr std::string_view kNames[] = {"FULL", "PARTIAL", "HASH", "NULL"};
  return kNames[static_cast<int>(m)];
}

std::string q(std::string_view name) { return quote_identifier(name); }
std::string lit(std::string_view text) { return quote_literal(text); }
std::string name_sql(const ObjectName& n) {
  return n.schema.empty() ? q(n.name) : q(n.schema) + "." + q(n.name);
}
std::string object_sql(const ObjectRef& o) {
  return o.column.empty() ? "TABLE " + name_sql(o.table)
                          : "COLUMN " + name_sql(o.table) + "." + q(o.column);
}
std::string interval_sql(Seconds s) { return "INTERVAL " + lit(format_interval(s)); }
std::string role_sql(const std::optional<std::string>& role) {
  return role ? " FOR ROLE " + q(*role) : "";
}

template <typename T, typename F>
std::string join(const std::vector<T>& items, F each) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += ", ";
    out += each(i);
  }
  return out;
}

struct Printer {
  Secrets secrets;

  std::string secret(const SecretString& s) const {
    return secrets == Secrets::kReveal ? lit(s.reveal()) : "'********'";
  }

  std::string operator()(const CreateRealm& r) const {
    std::string out = "CREATE REALM " + q(r.name);
    if (r.description) out += " DESCRIPTION " + lit(*r.description);
    if (r.owner) out += " OWNER " + q(*r.owner);
    if (r.require_password) out += " REQUIRE VAULT PASSWORD";
    if (r.password) out += " " + secret(*r.password);
    out += r.mode == RealmMode::kMandatory ? " MANDATORY " : " REGULAR ";
    out += state_sql(r.state);
    if (r.tablespace) {
      out += " TABLESPACE " + q(*r.tablespace) + " ENCRYPTION USING " +
             std::string(cipher_sql(r.tablespace_cipher));
    }
    return out;
  }
  std::string operator()(const AlterRealmObjects& a) const {
    return "ALTER REALM " + q(a.realm) +
           (a.op == AlterRealmObjects::Op::kAdd ? " ADD " : " REMOVE ") +
           join(a.objects, object_sql);
  }
  std::string operator()(const AlterRealmAuthorize& a) const {
    return "ALTER REALM " + q(a.realm) + " AUTHORIZE " + std::string(kind_sql(a.principal.kind)) +
           " " + q(a.principal.name) +
           (a.as == AlterRealmAuthorize::As::kOwner ? " AS OWNER" : " AS PARTICIPANT");
  }
  std::string operator()(const AlterRealmUnauthorize& a) const {
    return "ALTER REALM " + q(a.realm) + " UNAUTHORIZE " + std::string(kind_sql(a.principal.kind)) +
           " " + q(a.principal.name);
  }
  std::string operator()(const AlterRealmSet& a) const {
    std::string out = "ALTER REALM " + q(a.realm) + " SET ";
    if (const auto* o = std::get_if<AlterRealmSet::Owner>(&a.setting))
      return out + "OWNER " + q(o->user);
    if (const auto* d = std::get_if<AlterRealmSet::Description>(&a.setting)) {
      return out + "DESCRIPTION " + lit(d->text);
    }
    if (const auto* p = std::get_if<AlterRealmSet::VaultPassword>(&a.setting)) {
      return out + "VAULT PASSWORD " + secret(p->password);
    }
    return out + std::string(state_sql(std::get<ObjectState>(a.setting)));
  }
  std::string operator()(const DropRealm& d) const {
    return std::string("DROP REALM ") + (d.if_exists ? "IF EXISTS " : "") + q(d.name);
  }
  std::string operator()(const UnlockRealm& u) const {
    return "UNLOCK REALM " + q(u.realm) +
           (u.by == UnlockRealm::By::kPassword ? " PASSWORD " : " TOKEN ") + secret(u.secret);
  }
  std::string operator()(const LockRealm& l) const {
    return l.realm ? "LOCK REALM " + q(*l.realm) : "LOCK ALL REALMS";
  }
  std::string operator()(const GrantVaultPassword& g) const {
    return "GRANT VAULT PASSWORD ON REALM " + q(g.realm) + " TO " + q(g.user) + " VALID FOR " +
           interval_sql(g.valid_for);
  }
  std::string operator()(const RevokeVaultPassword& r) const {
    return "REVOKE VAULT PASSWORD ON REALM " + q(r.realm) + " FROM " + q(r.user);
  }
  std::string operator()(const RevokeVaultToken& r) const {
    return "REVOKE VAULT TOKEN " + lit(r.token_id);
  }
  std::string operator()(const EmergencyUnlock& e) const {
    return "EMERGENCY UNLOCK REALM " + q(e.realm) + " AUTHORIZED BY " + q(e.authorized_by) +
           " REASON " + lit(e.reason) + " VALID FOR " + interval_sql(e.valid_for);
  }
  std::string operator()(const DecideEmergencyUnlock& d) const {
    return std::string(d.approve ? "APPROVE" : "REJECT") + " EMERGENCY UNLOCK " + lit(d.request_id);
  }
  std::string operator()(const ReviewEmergencyUnlock& r) const {
    return "REVIEW EMERGENCY UNLOCK " + lit(r.request_id) + " NOTES " + lit(r.notes);
  }
  std::string operator()(const CreateCommandRule& r) const;
  std::string operator()(const AlterCommandRule& a) const {
    std::string out = "ALTER COMMAND RULE " + q(a.name);
    switch (a.change) {
      case AlterCommandRule::Change::kEnable:
        return out + " ENABLE";
      case AlterCommandRule::Change::kDisable:
        return out + " DISABLE";
      case AlterCommandRule::Change::kSetSimulation:
        return out + " SET SIMULATION";
      case AlterCommandRule::Change::kSetMessage:
        return out + " SET MESSAGE " + lit(a.message);
    }
    return out;
  }
  std::string operator()(const DropCommandRule& d) const {
    return std::string("DROP COMMAND RULE ") + (d.if_exists ? "IF EXISTS " : "") + q(d.name);
  }
  std::string operator()(const CreateRuleSet& s) const {
    return "CREATE RULE SET " + q(s.name) + (s.match_all ? " ALL (" : " ANY (") +
           join(s.conditions, [](const Expr& e) { return to_sql(e); }) + ")";
  }
  std::string operator()(const DropRuleSet& d) const {
    return std::string("DROP RULE SET ") + (d.if_exists ? "IF EXISTS " : "") + q(d.name);
  }
  std::string operator()(const SetDatabaseVault& s) const {
    return std::string("ALTER DATABASE ") + (s.enable ? "ENABLE" : "DISABLE") + " DATABASE VAULT";
  }
  std::string operator()(const CreateUser& u) const {
    return "CREATE USER " + q(u.name) + " PASSWORD " + secret(u.password);
  }
  std::string operator()(const AlterUser& u) const {
    return "ALTER USER " + q(u.name) + " PASSWORD " + secret(u.password);
  }
  std::string operator()(const DropUser& d) const {
    return std::string("DROP USER ") + (d.if_exists ? "IF EXISTS " : "") + q(d.name) +
           (d.cascade ? " CASCADE" : "");
  }
  std::string operator()(const CreateRole& r) const { return "CREATE ROLE " + q(r.name); }
  std::string operator()(const DropRole& d) const {
    return std::string("DROP ROLE ") + (d.if_exists ? "IF EXISTS " : "") + q(d.name) +
           (d.cascade ? " CASCADE" : "");
  }
  std::string operator()(const GrantRole& g) const {
    return std::string(g.grant ? "GRANT " : "REVOKE ") + q(g.role) + (g.grant ? " TO " : " FROM ") +
           q(g.grantee);
  }
  std::string operator()(const GrantPrivileges& g) const {
    return std::string(g.grant ? "GRANT " : "REVOKE ") +
           join(g.privileges, [](Privilege p) { return std::string(privilege_sql(p)); }) +
           " ON TABLE " + name_sql(g.table) + (g.grant ? " TO " : " FROM ") + q(g.grantee);
  }
  std::string operator()(const ExplainVault& e) const {
    return "EXPLAIN VAULT " + std::visit(*this, e.statement->node);
  }
  std::string operator()(const CreateMasterKey& m) const {
    static constexpr std::string_view kProviders[] = {"HSM", "KMS", "FILE", "ENV"};
    return "CREATE MASTER KEY ENCRYPTION BY " +
           std::string(kProviders[static_cast<int>(m.provider)]) + " KEY_ID " + lit(m.key_id);
  }
  std::string operator()(const RotateMasterKey& r) const {
    return "ALTER DATABASE ROTATE MASTER KEY" +
           (r.new_key_id ? " TO KEY_ID " + lit(*r.new_key_id) : "");
  }
  std::string operator()(const CreateTablespace& t) const {
    return "CREATE TABLESPACE " + q(t.name) + " ENCRYPTION USING " +
           std::string(cipher_sql(t.cipher)) + (t.key_id ? " KEY_ID " + lit(*t.key_id) : "");
  }
  std::string operator()(const EnableTablespaceEncryption& t) const {
    return "ALTER TABLESPACE " + q(t.name) + " ENABLE ENCRYPTION USING " +
           std::string(cipher_sql(t.cipher));
  }
  std::string operator()(const RotateTablespaceKey& t) const {
    return "ALTER TABLESPACE " + q(t.name) + " ROTATE ENCRYPTION KEY";
  }
  std::string operator()(const DropTablespace& d) const {
    return std::string("DROP TABLESPACE ") + (d.if_exists ? "IF EXISTS " : "") + q(d.name);
  }
  std::string operator()(const CreateTable& t) const { return t.source; }
  std::string operator()(const RotateTableKey& t) const {
    return "ALTER TABLE " + name_sql(t.table) + " ROTATE ENCRYPTION KEY";
  }
  std::string operator()(const SetColumnEncryption& e) const {
    return "ALTER TABLE " + name_sql(e.table) + " ALTER COLUMN " + q(e.column) +
           " SET ENCRYPTED WITH (TYPE = " +
           (e.type == SetColumnEncryption::Type::kDeterministic ? "DETERMINISTIC" : "RANDOMIZED") +
           ", KEY_ID = " + lit(e.key_id) + (e.algorithm ? ", ALG = " + lit(*e.algorithm) : "") +
           ")";
  }
  std::string operator()(const SetColumnMasking& m) const {
    return "ALTER TABLE " + name_sql(m.table) + " ALTER COLUMN " + q(m.column) + " SET MASKING " +
           std::string(masking_sql(m.mode)) + role_sql(m.for_role);
  }
  std::string operator()(const DropColumnMasking& m) const {
    return "ALTER TABLE " + name_sql(m.table) + " ALTER COLUMN " + q(m.column) + " DROP MASKING" +
           role_sql(m.for_role);
  }
  std::string operator()(const BackupDatabase& b) const {
    return "BACKUP DATABASE TO " + lit(b.path) + " ENCRYPTED WITH KEY " + lit(b.key_id);
  }
  std::string operator()(const RestoreDatabase& r) const {
    return "RESTORE DATABASE FROM " + lit(r.path) + " DECRYPT WITH KEY " + lit(r.key_id) +
           " VAULT PASSWORD " + secret(r.vault_password);
  }
  std::string operator()(const CreateAuditHold& h) const {
    return "CREATE AUDIT HOLD " + q(h.name) + " FROM " + lit(format_timestamp(h.from)) + " TO " +
           lit(format_timestamp(h.to)) + " REASON " + lit(h.reason);
  }
  std::string operator()(const DropAuditHold& d) const {
    return std::string("DROP AUDIT HOLD ") + (d.if_exists ? "IF EXISTS " : "") + q(d.name);
  }
  std::string operator()(const VerifyAuditLog&) const { return "VERIFY AUDIT LOG"; }
  std::string operator()(const Connect& c) const { return "CONNECT " + q(c.user); }
  std::string operator()(const EngineSql& e) const { return e.text; }
};

std::string Printer::operator()(const CreateCommandRule& r) const {
  std::string out = "CREATE COMMAND RULE " + q(r.name) + " FOR " +
                    join(r.commands, [](Command c) { return std::string(command_sql(c)); }) +
                    " ON ";
  switch (r.target.kind) {
    case RuleTarget::Kind::kTable:
    case RuleTarget::Kind::kColumn:
      out += object_sql(r.target.object);
      break;
    case RuleTarget::Kind::kRealm:
      out += "REALM " + q(r.target.realm);
      break;
    case RuleTarget::Kind::kAny:
      out += "ANY";
      break;
  }
  switch (r.action) {
    case CreateCommandRule::Action::kDenyFrom:
      out += " DENY FROM " + join(r.principals, [](const Principal& p) {
               return std::string(kind_sql(p.kind)) + " " + q(p.name);
             });
      if (r.condition) out += " WHEN " + to_sql(*r.condition);
      break;
    case CreateCommandRule::Action::kDenyWhen:
      out += " DENY WHEN " + to_sql(*r.condition);
      break;
    case CreateCommandRule::Action::kAllowOnlyWhen:
      out += " ALLOW ONLY WHEN " + to_sql(*r.condition);
      break;
  }
  if (r.message) out += " MESSAGE " + lit(*r.message);
  return out + " " + std::string(state_sql(r.state));
}

}  // namespace

std::string to_sql(const ast::Statement& s, Secrets secrets) {
  return std::visit(Printer{secrets}, s.node);
}

}  // namespace dbvault::grammar
