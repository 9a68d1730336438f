// The SQL view of the audit log: a read-only, eponymous SQLite virtual table (one column per
// record field, `detail` as JSON text) over a LogReader, so WHERE / ORDER BY / LIMIT / GROUP BY
// and json_extract(detail, '$.stage') run in SQLite itself. The server exposes it as
// vault.audit_log to the AUDIT_VIEWER role. INSERT / UPDATE / DELETE fail (SQLITE_READONLY) and
// DROP fails (eponymous tables cannot be dropped); audit_view_error() maps both to 42501.
//
// Columns: seq INTEGER, event_id, timestamp, event_type, severity, user, realm, ip_address,
// session_id, result, vault_password_id, expires_at, retention_class, retain_until, prev_hash,
// hash, detail (TEXT; NULL when absent). Constraints on seq are pushed down; the rest are
// filtered by SQLite. A query sees the records durable when it starts.
//
// Thread-safety: as the SQLite connection it is registered on.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>

#include "audit/reader.h"
#include "common/result.h"

namespace dbvault::audit {

// Registers the table `name` on `db`. 58000 if SQLite refuses the module.
Status register_audit_log_table(sqlite3* db, std::shared_ptr<const LogReader> reader,
                                const std::string& name = "audit_log");

// The Error for a failed statement on `db` (result code `rc`): an attempt to modify or drop the
// audit view is 42501 ("the audit log is read-only"); other errors are 58000 with SQLite's text.
Error audit_view_error(sqlite3* db, int rc);

}  // namespace dbvault::audit
