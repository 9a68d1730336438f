// The key-management views over SQL (docs/encryption.md §12, docs/sql-reference.md §9.7):
// vault.encryption_progress, vault.tablespaces, and the TDE rows of vault.settings. Rows are
// computed from the server's state at each scan; none holds key material (names, algorithms,
// version numbers, page counts, times).
//
// Thread-safety: as the services they read (each is thread-safe).
#pragma once

#include <string>
#include <vector>

#include "server/session/context.h"
#include "vault/policy_snapshot.h"

namespace dbvault::server::session {

using ViewRows = std::vector<std::vector<std::string>>;

// One row per rotation of this run: object, scope, from_version, to_version, pages_done,
// pages_total, state, error, started_at, finished_at.
const std::vector<std::string>& encryption_progress_columns();
ViewRows encryption_progress_rows(const ServerContext& ctx);

// One row per tablespace, "default" (the engine database) first: name, file (relative to the
// data directory), algorithm, key_version (the active one), tables (comma-separated), realms
// (those holding one of its tables, comma-separated).
const std::vector<std::string>& tablespace_columns();
Result<ViewRows> tablespace_rows(const ServerContext& ctx, const vault::PolicySnapshot& snap);

// security.tde_enabled, then security.tablespace.<name>.algorithm / .key_version per tablespace.
Result<ViewRows> tde_setting_rows(const ServerContext& ctx);

}  // namespace dbvault::server::session
