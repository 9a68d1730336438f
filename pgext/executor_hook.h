// The executor's permission check (ExecutorCheckPerms_hook): the vault's realm check and
// command rules for every relation of every range table the executor checks — queries, DML,
// the queries inside views, rules, functions (SECURITY DEFINER included), PL/pgSQL EXECUTE and
// triggers, and COPY's table — always against the backend's *authenticated* user's vault
// session, whatever role the statement runs as, so no owner ever lends its realm access.
// The check also runs from ExecutorStart_hook, before PostgreSQL's own ACL check (which
// ExecCheckRTPerms runs before its hook), so the vault decides first (docs/postgresql.md §4).
#pragma once

namespace dbvault::pgext {

// Chains the previous hook. Called once, from _PG_init.
void install_executor_hook();

}  // namespace dbvault::pgext
