#include "server/session/realm_access.h"

#include <set>

#include "grammar/ast.h"
#include "rules/command_rule.h"

namespace dbvault::server::session {

Status audit_realm_access(ServerContext& ctx, vault::Session& session,
                          const storage::Statement& statement) {
  if (!ctx.config().realm_access_audit) return ok_status();
  const auto snap = ctx.services.vault->snapshot();
  if (!snap->vault_enabled()) return ok_status();
  const auto& accesses = statement.accesses();
  std::set<std::uint32_t> realms;
  std::string objects;
  std::set<std::string> commands;
  for (std::size_t i = 0; i < accesses.accesses.size(); ++i) {
    const auto* obj = snap->object(accesses.accesses[i].object);
    if (obj == nullptr || !obj->in_realm) continue;
    snap->realms_of(*obj).for_each([&](std::uint32_t r) {
      const auto* info = snap->realm(r);
      if (info != nullptr && info->state != ast::ObjectState::kDisabled) realms.insert(r);
    });
    if (i < accesses.names.size() && objects.size() < 1024) {
      objects += (objects.empty() ? "" : ",") + accesses.names[i];
    }
    commands.insert(std::string(rules::command_name(accesses.accesses[i].command)));
  }
  if (realms.empty()) return ok_status();
  audit::Event e;
  e.type = audit::EventType::kRealmAccess;
  e.user = session.user_name();
  e.realm = snap->realm(*realms.begin())->name;
  e.ip_address = session.info().client_ip;
  e.session_id = session.info().session_id;
  std::string realm_list;
  for (const auto r : realms) realm_list += (realm_list.empty() ? "" : ",") + snap->realm(r)->name;
  std::string command_list;
  for (const auto& c : commands) command_list += (command_list.empty() ? "" : ",") + c;
  e.detail["realms"] = realm_list;
  e.detail["objects"] = objects;
  e.detail["commands"] = command_list;
  e.detail["query"] = statement.sql();
  e.detail["program_name"] = session.info().program_name;
  if (auto r = ctx.services.audit->append(std::move(e)); !r) return std::move(r).error();
  return ok_status();
}

}  // namespace dbvault::server::session
