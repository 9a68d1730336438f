#include "server/session/refusal_audit.h"

namespace dbvault::server::session {

Status audit_engine_refusal(audit::Log& log, const vault::Session& session, const Error& refusal,
                            std::string_view sql) {
  audit::Event e;
  e.type = audit::EventType::kCommandRuleViolation;
  e.result = audit::Outcome::kDenied;
  e.user = session.user_name();
  e.ip_address = session.info().client_ip;
  e.session_id = session.info().session_id;
  e.detail["check"] = "engine";
  e.detail["reason"] = refusal.message;
  e.detail["query"] = std::string(sql.substr(0, 4096));
  e.detail["program_name"] = session.info().program_name;
  if (auto r = log.append_sync(std::move(e)); !r) return std::move(r).error();
  return ok_status();
}

}  // namespace dbvault::server::session
