// post_parse_analyze_hook: a query that calls one of the server functions that read (or
// write) the cluster's files by name — pg_read_file, pg_read_binary_file, pg_stat_file,
// pg_ls_dir, lo_import, lo_export — is refused for every role, superusers included (42501),
// wherever the call is: the statement, a view or rule being created, a function body when it
// is analysed. (needs_fmgr_hook cannot do it: PostgreSQL skips it for built-in functions.)
// Otherwise whoever holds pg_read_server_files (or is a superuser) could read the policy store, the
// key store or the audit store through SQL.
#pragma once

namespace dbvault::pgext {

// Chains the previous hook. Called once, from _PG_init.
void install_function_hook();

}  // namespace dbvault::pgext
