// ProcessUtility_hook: what the vault checks before PostgreSQL runs a utility statement.
//
//   ALTER TABLE, CREATE TRIGGER / RULE / POLICY / INDEX on a table    ALTER  (realms, rules)
//   DROP TABLE / VIEW / ...                                            DROP
//   TRUNCATE                                                           TRUNCATE
//   GRANT / REVOKE on tables                                           GRANT
//   COPY table TO                                                      EXPORT, then a durable
//                                                                      data_export record
//   COPY (query) TO                                                    data_export record (the
//                                                                      query's reads are the
//                                                                      executor hook's)
//   ALTER ... RENAME, ALTER ... SET SCHEMA of a realm table or column  refused (42501)
//   LOAD, COPY ... PROGRAM, ALTER SYSTEM of dbvault.* or the preload
//   and library settings (or RESET ALL)                                refused for everyone
//
// Also what a statement reaches beyond the tables it names (ddl_reach.h: children,
// partitions, FK-referencing tables, domain columns) and changes of functions realm tables
// call (function_changes.h).
//
// Checks run for the backend's authenticated user's vault session, as in the executor hook.
#pragma once

namespace dbvault::pgext {

// Chains the previous hook. Called once, from _PG_init.
void install_utility_hook();

}  // namespace dbvault::pgext
