// The owners of the functions a backend is running right now (trigger functions, functions
// called from a view, a policy or a DEFAULT, SECURITY DEFINER functions...), for the body
// check (docs/postgresql.md §4, "Bodies"; docs/vault.md §2.2): every access made while a
// function of another role runs must also pass the realm check for that role, with standing
// authorizations only — so a DBA's trigger cannot copy a realm table for it when a user who
// unlocked the realm fires it. Functions owned by superusers (the module's own, extensions')
// are not tracked. Internal to pgext/.
//
// Mechanism: needs_fmgr_hook asks PostgreSQL to call fmgr_hook around every call of a
// function owned by a non-superuser (such functions are therefore not inlined by the
// planner); fmgr_hook counts the running calls per owner (START, END, and ABORT when the
// call fails).
#pragma once

namespace dbvault::pgext {

// Copies into out[0..] the distinct owners with a call running now (at most `max`); returns
// how many.
int running_function_owners(unsigned int* out, int max);

// Whether code owned by `role` is the session's own: its user's, or a superuser's (whom
// nothing inside PostgreSQL restrains, docs/postgresql.md §6) — exempt from the body check.
// Not a role the user is a member of: any other member of that role may have written the
// body. Calls PostgreSQL (the role's catalog entry).
bool own_code(unsigned int role);

// Installs needs_fmgr_hook and fmgr_hook (once, from _PG_init).
void install_body_owner_hooks();

}  // namespace dbvault::pgext
