// Vault administration, accounts, roles and privileges, audit holds, CONNECT.
#include "grammar/build.h"
#include "grammar/timestamp.h"

namespace dbvault::grammar::build {
namespace {

ast::Privilege privilege(P::PrivilegeContext* c) {
  if (c->SELECT()) return ast::Privilege::kSelect;
  if (c->INSERT()) return ast::Privilege::kInsert;
  if (c->UPDATE()) return ast::Privilege::kUpdate;
  if (c->DELETE()) return ast::Privilege::kDelete;
  return ast::Privilege::kAll;
}

template <typename Ctx>
Result<ast::Statement> privileges(Ctx* c, bool grant) {
  ast::GrantPrivileges g{grant, {}, object_name(c->objectName()), name(c->identifier())};
  for (auto* p : c->privilege()) {
    const ast::Privilege k = privilege(p);
    if (std::find(g.privileges.begin(), g.privileges.end(), k) != g.privileges.end()) {
      return error_at(sqlstate::kSyntaxError, "privilege " + p->getText() + " listed twice", p);
    }
    g.privileges.push_back(k);
  }
  return ast::Statement{std::move(g)};
}

Result<ast::Statement> role(P::IdentifierContext* role_ctx, P::IdentifierContext* grantee,
                            bool grant) {
  std::string r = name(role_ctx);
  const auto builtin = ast::builtin_role_from_name(r);
  return ast::Statement{ast::GrantRole{grant, std::move(r), builtin, name(grantee)}};
}

Result<std::chrono::sys_seconds> timestamp(P::StringContext* c) {
  auto t = parse_timestamp(text(c));
  if (!t) {
    Error e = std::move(t).error();
    e.position = position(c);
    return e;
  }
  return *t;
}

Result<ast::Statement> audit_hold(P::CreateAuditHoldContext* c) {
  auto strings = c->string();
  auto from = timestamp(strings[0]);
  if (!from) return std::move(from).error();
  auto to = timestamp(strings[1]);
  if (!to) return std::move(to).error();
  if (*to < *from) {
    return error_at(sqlstate::kInvalidParameterValue,
                    "audit hold ends before it starts (TO is earlier than FROM)", strings[1]);
  }
  return ast::Statement{ast::CreateAuditHold{name(c->identifier()), *from, *to, text(strings[2])}};
}

}  // namespace

std::optional<Result<ast::Statement>> admin_statement(P::StatementContext* c) {
  if (auto* s = c->alterDatabase()) {
    if (s->ROTATE() == nullptr)
      return ast::Statement{ast::SetDatabaseVault{s->ENABLE() != nullptr}};
    ast::RotateMasterKey rotate;
    if (s->string() != nullptr) rotate.new_key_id = text(s->string());
    return ast::Statement{rotate};
  }
  if (auto* s = c->createUser()) {
    return ast::Statement{ast::CreateUser{name(s->identifier()), secret(s->string())}};
  }
  if (auto* s = c->alterUser()) {
    return ast::Statement{ast::AlterUser{name(s->identifier()), secret(s->string())}};
  }
  if (auto* s = c->dropUser()) {
    return ast::Statement{
        ast::DropUser{name(s->identifier()), s->ifExists() != nullptr, s->CASCADE() != nullptr}};
  }
  if (auto* s = c->createRole()) return ast::Statement{ast::CreateRole{name(s->identifier())}};
  if (auto* s = c->dropRole()) {
    return ast::Statement{
        ast::DropRole{name(s->identifier()), s->ifExists() != nullptr, s->CASCADE() != nullptr}};
  }
  if (auto* s = c->grantRole()) return role(s->role, s->grantee, true);
  if (auto* s = c->revokeRole()) return role(s->role, s->grantee, false);
  if (auto* s = c->grantPrivileges()) return privileges(s, true);
  if (auto* s = c->revokePrivileges()) return privileges(s, false);
  if (auto* s = c->createAuditHold()) return audit_hold(s);
  if (auto* s = c->dropAuditHold()) {
    return ast::Statement{ast::DropAuditHold{name(s->identifier()), s->ifExists() != nullptr}};
  }
  if (c->verifyAuditLog() != nullptr) return ast::Statement{ast::VerifyAuditLog{}};
  if (auto* s = c->connect()) return ast::Statement{ast::Connect{name(s->identifier(0))}};
  return std::nullopt;
}

}  // namespace dbvault::grammar::build
