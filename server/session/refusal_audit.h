// The audit record of a statement the engine itself refused while compiling it (ATTACH,
// load_extension, a schema-changing PRAGMA, an access set that cannot be determined): a
// command_rule_violation with `check` = "engine", the refusal as `reason` and the statement
// as `query` (literals removed by the audit log). Durable before the refusal is answered, like
// every violation record (docs/audit.md). Installed as storage::EngineOptions::on_refusal.
#pragma once

#include <string_view>

#include "audit/log.h"
#include "common/result.h"
#include "vault/session.h"

namespace dbvault::server::session {

Status audit_engine_refusal(audit::Log& log, const vault::Session& session, const Error& refusal,
                            std::string_view sql);

}  // namespace dbvault::server::session
