// emit_log_hook: while the statement being run names the dbvault schema, every message the
// server logs has the literals of its message and detail replaced by '?' and carries no
// STATEMENT line — so log_statement, log_min_duration_statement and error reports never show
// a vault password, token or user password. The client still gets its error unchanged.
#pragma once

namespace dbvault::pgext {

// Chains the previous hook. Called once, from _PG_init.
void install_log_hook();

}  // namespace dbvault::pgext
