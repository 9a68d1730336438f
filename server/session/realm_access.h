// The realm_access audit record (docs/audit.md §1): one per execution of an engine statement
// that reads or writes an object of an enabled realm, written (group-committed) BEFORE the
// statement runs — if it cannot be written the statement does not run (58000). Called once
// the vault allowed the execution (storage::ExecutionHook): a denied statement gets its
// denial recorded instead.
#pragma once

#include "common/result.h"
#include "server/session/context.h"
#include "storage/engine.h"
#include "vault/session.h"

namespace dbvault::server::session {

Status audit_realm_access(ServerContext& ctx, vault::Session& session,
                          const storage::Statement& statement);

}  // namespace dbvault::server::session
