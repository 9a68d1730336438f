#include "server/session/data_export.h"

#include <algorithm>
#include <set>

namespace dbvault::server::session {

bool is_export_program(const ServerContext& ctx, const vault::Session& session) {
  const auto& programs = ctx.config().export_programs;
  const auto& program = session.info().program_name;
  return !program.empty() && std::find(programs.begin(), programs.end(), program) != programs.end();
}

Status audit_data_export(ServerContext& ctx, vault::Session& session,
                         const storage::Statement& statement, std::string_view method) {
  const auto& accesses = statement.accesses();
  std::set<std::string> tables;  // "main.users" of "main.users.ssn"
  for (std::size_t i = 0; i < accesses.accesses.size() && i < accesses.names.size(); ++i) {
    if (accesses.accesses[i].command != ast::Command::kExport) continue;
    const std::string& name = accesses.names[i];
    const auto dot = name.find('.', name.find('.') + 1);
    tables.insert(name.substr(0, dot));
  }
  if (tables.empty()) return ok_status();
  std::string objects;
  for (const auto& t : tables) {
    if (objects.size() > 1024) break;
    objects += (objects.empty() ? "" : ",") + t;
  }
  audit::Event e;
  e.type = audit::EventType::kDataExport;
  e.user = session.user_name();
  e.ip_address = session.info().client_ip;
  e.session_id = session.info().session_id;
  e.detail["method"] = std::string(method);
  e.detail["objects"] = objects;
  e.detail["query"] = statement.sql();
  e.detail["program_name"] = session.info().program_name;
  if (auto r = ctx.services.audit->append_sync(std::move(e)); !r) return std::move(r).error();
  return ok_status();
}

}  // namespace dbvault::server::session
