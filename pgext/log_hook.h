// emit_log_hook: while the statement being run may carry a secret — its text names the
// dbvault schema or says EXECUTE (a prepared statement's arguments, PL/pgSQL's dynamic SQL),
// or a dbvault function has run during it (a wrapper function, a function body) — every
// message the server logs has the literals of its message, detail, internal query and
// CONTEXT lines replaced by '?' and carries no STATEMENT line: so log_statement,
// log_min_duration_statement and error reports never show a vault password, token or user
// password. The client still gets its error message unchanged.
// Not covered: the log_statement line of a statement whose text shows neither (a wrapper
// function's call), which PostgreSQL writes before anything runs (docs/postgresql.md §5).
#pragma once

namespace dbvault::pgext {

// Chains the previous hook. Called once, from _PG_init.
void install_log_hook();

// A dbvault function runs in the current statement: its log lines are redacted from now
// until the statement ends.
void mark_secret_statement();

// The current statement writes rows of a table the session may not read whole: from now until
// the transaction ends (so that a deferred constraint checked at COMMIT or at SET CONSTRAINTS
// ... IMMEDIATE, after the statement that wrote the row, is covered too), the DETAIL of an integrity or check-option violation (class 23 and 44:
// "Failing row contains (...)", "Key (...)=(...) already exists") is replaced, for the
// client and the log, since PostgreSQL shows there every column the role's privileges let it
// read, realm columns included.
void mark_hidden_row_values();

}  // namespace dbvault::pgext
