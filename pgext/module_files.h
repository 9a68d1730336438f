// The files a server-side file access of SQL (COPY ... FROM / TO 'file') may not touch: the
// data directory (the module's stores by default, the realm tables' heap and WAL files,
// postgresql.auto.conf and pg_hba.conf, which decide whether the module loads and who logs
// in) and the module's stores wherever they are configured (docs/postgresql.md §4).
// Internal to pgext/.
#pragma once

namespace dbvault::pgext {

// False, with backend_state().error set (42501), when `file` — as PostgreSQL opens it:
// relative to the data directory — resolves (symbolic links and `..` followed as far as the
// path exists) into the data directory, the key store, the audit store or the policy store
// (and its -wal, -shm, -journal files). Calls no PostgreSQL function.
bool server_file_allowed(const char* file);

}  // namespace dbvault::pgext
