// The data_export audit record (docs/audit.md): rows leave the database through COPY ... TO,
// or through any statement of a program named in the configuration's export list
// (`audit.export_programs`, matched against the session's application_name exactly). Made
// durable (append_sync) before the first row is sent: if it cannot be written, nothing is
// sent (58000).
#pragma once

#include <string_view>

#include "common/result.h"
#include "server/session/context.h"
#include "storage/engine.h"
#include "vault/session.h"

namespace dbvault::server::session {

// True when `session`'s program is on the export list.
bool is_export_program(const ServerContext& ctx, const vault::Session& session);

// Writes the record for `statement` (which was prepared with PrepareOptions::exported):
// method ("COPY TO STDOUT", "export program"), the objects it exports and its SQL.
// A statement that reads no object (SELECT 1) is no export and gets no record.
Status audit_data_export(ServerContext& ctx, vault::Session& session,
                         const storage::Statement& statement, std::string_view method);

}  // namespace dbvault::server::session
