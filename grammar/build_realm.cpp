// Realms, vault passwords, tokens and emergency unlock.
#include "grammar/build.h"

namespace dbvault::grammar::build {
namespace {

Error redundant(antlr4::ParserRuleContext* c, std::string_view what) {
  return error_at(sqlstate::kSyntaxError,
                  "conflicting or redundant options: " + std::string(what) + " given twice", c);
}

Result<ast::Statement> create_realm(P::CreateRealmContext* c) {
  ast::CreateRealm r;
  r.name = name(c->name);
  bool seen_description = false, seen_owner = false, seen_password = false, seen_mode = false,
       seen_state = false, seen_tablespace = false;
  for (auto* option : c->realmOption()) {
    if (auto* d = dynamic_cast<P::RealmDescriptionContext*>(option)) {
      if (std::exchange(seen_description, true)) return redundant(option, "DESCRIPTION");
      r.description = text(d->string());
    } else if (auto* o = dynamic_cast<P::RealmOwnerContext*>(option)) {
      if (std::exchange(seen_owner, true)) return redundant(option, "OWNER");
      r.owner = name(o->identifier());
    } else if (auto* p = dynamic_cast<P::RealmRequirePasswordContext*>(option)) {
      if (std::exchange(seen_password, true)) return redundant(option, "REQUIRE VAULT PASSWORD");
      r.require_password = true;
      if (p->string() != nullptr) r.password = secret(p->string());
    } else if (auto* s = dynamic_cast<P::RealmStateContext*>(option)) {
      if (std::exchange(seen_state, true)) return redundant(option, "ENABLED/DISABLED/SIMULATION");
      r.state = object_state(s->objectState());
    } else if (auto* t = dynamic_cast<P::RealmTablespaceContext*>(option)) {
      if (std::exchange(seen_tablespace, true)) return redundant(option, "TABLESPACE");
      r.tablespace = name(t->tablespace);
      if (t->string() != nullptr) {
        auto ci = cipher(t->string());
        if (!ci) return std::move(ci).error();
        r.tablespace_cipher = *ci;
      }
    } else {
      if (std::exchange(seen_mode, true)) return redundant(option, "MANDATORY/REGULAR");
      r.mode = dynamic_cast<P::RealmRegularContext*>(option) != nullptr ? ast::RealmMode::kRegular
                                                                         : ast::RealmMode::kMandatory;
    }
  }
  return ast::Statement{std::move(r)};
}

ast::ObjectRef realm_object(P::RealmObjectContext* c) {
  if (c->TABLE() != nullptr) return ast::ObjectRef{object_name(c->objectName()), ""};
  return column_ref(c->columnName());
}

Result<ast::Statement> alter_realm(P::AlterRealmContext* c) {
  if (auto* o = dynamic_cast<P::AlterRealmObjectsContext*>(c)) {
    ast::AlterRealmObjects a{name(o->realm),
                             o->ADD() != nullptr ? ast::AlterRealmObjects::Op::kAdd
                                                 : ast::AlterRealmObjects::Op::kRemove,
                             {}};
    for (auto* obj : o->realmObject()) a.objects.push_back(realm_object(obj));
    return ast::Statement{std::move(a)};
  }
  if (auto* a = dynamic_cast<P::AlterRealmAuthorizeContext*>(c)) {
    return ast::Statement{ast::AlterRealmAuthorize{
        name(a->realm), {principal_kind(a->principalKind()), name(a->name)},
        a->OWNER() != nullptr ? ast::AlterRealmAuthorize::As::kOwner
                              : ast::AlterRealmAuthorize::As::kParticipant}};
  }
  if (auto* u = dynamic_cast<P::AlterRealmUnauthorizeContext*>(c)) {
    return ast::Statement{
        ast::AlterRealmUnauthorize{name(u->realm), {principal_kind(u->principalKind()), name(u->name)}}};
  }
  auto* s = dynamic_cast<P::AlterRealmSetContext*>(c);
  auto* setting = s->realmSetting();
  ast::AlterRealmSet out{name(s->realm), ast::ObjectState::kEnabled};
  if (setting->OWNER() != nullptr) {
    out.setting = ast::AlterRealmSet::Owner{name(setting->identifier())};
  } else if (setting->DESCRIPTION() != nullptr) {
    out.setting = ast::AlterRealmSet::Description{text(setting->string())};
  } else if (setting->PASSWORD() != nullptr) {
    out.setting = ast::AlterRealmSet::VaultPassword{secret(setting->string())};
  } else {
    out.setting = object_state(setting->objectState());
  }
  return ast::Statement{std::move(out)};
}

Result<ast::Statement> emergency_unlock(P::EmergencyUnlockContext* c) {
  auto valid = interval(c->interval());
  if (!valid) return std::move(valid).error();
  if (*valid > ast::EmergencyUnlock::kMaxValidity) {
    return error_at(sqlstate::kInvalidParameterValue,
                    "emergency unlock is limited to 1 hour; requested " +
                        std::to_string(valid->count()) + " seconds",
                    c->interval());
  }
  return ast::Statement{
      ast::EmergencyUnlock{name(c->realm), name(c->authorizer), text(c->string()), *valid}};
}

}  // namespace

std::optional<Result<ast::Statement>> realm_statement(P::StatementContext* c) {
  if (auto* s = c->createRealm()) return create_realm(s);
  if (auto* s = c->alterRealm()) return alter_realm(s);
  if (auto* s = c->dropRealm()) {
    return ast::Statement{ast::DropRealm{name(s->identifier()), s->ifExists() != nullptr}};
  }
  if (auto* s = c->unlockRealm()) {
    return ast::Statement{ast::UnlockRealm{
        name(s->identifier()),
        s->TOKEN() != nullptr ? ast::UnlockRealm::By::kToken : ast::UnlockRealm::By::kPassword,
        secret(s->string())}};
  }
  if (auto* s = c->lockRealm()) {
    ast::LockRealm l;
    if (s->identifier() != nullptr) l.realm = name(s->identifier());
    return ast::Statement{l};
  }
  if (auto* s = c->grantVaultPassword()) {
    auto valid = interval(s->interval());
    if (!valid) return std::move(valid).error();
    return ast::Statement{ast::GrantVaultPassword{name(s->realm), name(s->user), *valid}};
  }
  if (auto* s = c->revokeVaultPassword()) {
    return ast::Statement{ast::RevokeVaultPassword{name(s->realm), name(s->user)}};
  }
  if (auto* s = c->revokeVaultToken()) {
    return ast::Statement{ast::RevokeVaultToken{text(s->string())}};
  }
  if (auto* s = c->emergencyUnlock()) return emergency_unlock(s);
  if (auto* s = c->decideEmergencyUnlock()) {
    return ast::Statement{ast::DecideEmergencyUnlock{s->APPROVE() != nullptr, text(s->string())}};
  }
  if (auto* s = c->reviewEmergencyUnlock()) {
    return ast::Statement{ast::ReviewEmergencyUnlock{text(s->id), text(s->notes)}};
  }
  return std::nullopt;
}

}  // namespace dbvault::grammar::build
