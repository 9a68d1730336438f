// VERIFY AUDIT LOG and CREATE / DROP AUDIT HOLD for a server (vault::AuditHost): the server's
// audit log (audit::Log) walks its own chain and records holds (docs/audit.md §6-7).
#pragma once

#include <memory>

#include "audit/log.h"
#include "vault/vault.h"

namespace dbvault::server {

// REQUIRES: `log` outlives the result.
std::unique_ptr<vault::AuditHost> make_audit_host(audit::Log& log);

}  // namespace dbvault::server
