// Realm values handed to another role's code (docs/postgresql.md §4, "Bodies"). The body
// check (body_owners.h) checks what a function of another role *reads*; but a function
// also receives values as arguments: an authorized session that reads a realm table through
// a security-invoker view of the DBA's (`SELECT stash(v) FROM secret`), with an operator or
// a cast the DBA defined, or that writes a realm table with a trigger of the DBA's (NEW and
// OLD), hands the realm's values to the DBA's function, which may store them anywhere the
// DBA can read. So:
//   - while a statement whose range table holds user relations runs, a function owned by a
//     role that is neither the session's user nor a superuser (own_code) may start only if
//     that role passes the realm check of the statement's accesses itself, with standing
//     authorizations only (BackendVault::check_as_body_owner) — whatever the arguments;
//   - a statement that writes a table checks, when it starts, the owners of the table's
//     trigger functions the same way against a read of the whole table (the rows they get),
//     so that a deferred trigger (fired at COMMIT, outside any statement) is covered too.
// A refusal is 42501 with the owner's name, as the body check's. Internal to pgext/.
#pragma once

struct List;
struct QueryDesc;

namespace dbvault::pgext {

// The executor hook calls these around each statement: started() when ExecutorStart begins
// (after its check), ended() from ExecutorEnd. A statement that fails is forgotten when its
// (sub)transaction aborts.
void statement_started(QueryDesc* query);
void statement_ended(QueryDesc* query);

// From fmgr_hook before a function owned by `owner` (not own_code) starts: ereports 42501
// unless `owner` passes the check of every running statement's accesses. Calls PostgreSQL.
void check_call_of(unsigned int owner);

// The owners of the trigger functions of every table `rtable` writes, each checked for a
// read of that table's rows; ereports 42501 on refusal. Calls PostgreSQL.
void check_trigger_owners(List* rtable);

// The ExecutorEnd hook and the transaction callbacks (once, from _PG_init).
void install_foreign_calls();

}  // namespace dbvault::pgext
