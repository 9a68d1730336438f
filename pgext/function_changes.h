// Changing a function that realm tables' own definitions call (docs/postgresql.md §4,
// "Functions of realm tables"). A trigger on a realm table calls its function with every
// row written (NEW, OLD); a CHECK constraint, a column DEFAULT or generated column, an index
// expression, a policy or a rule calls its functions with the table's values. Whoever may
// `CREATE OR REPLACE` such a function (its owner, any member of the owning role) could
// replace its body to copy those rows somewhere they can read, and the next authorized
// writer's rows would leak — even when the function's owner is admitted by the realm (the
// fire-time check, foreign_calls.h, sees the owner, not who wrote the current body). So
// replacing, altering or re-owning such a function is an ALTER of every table whose
// definition calls it, checked for the session before PostgreSQL runs it:
//   CREATE OR REPLACE FUNCTION / PROCEDURE f (every function of that name: the signature is
//                                             not resolved here, so overloads count too)
//   ALTER FUNCTION / PROCEDURE / ROUTINE f ... (SET, SECURITY DEFINER, ...), ALTER ... OWNER TO
// The check is at DDL time rather than at each firing so that a refusal names the change,
// while a legitimate change by a session the realm admits goes through. Internal to pgext/.
#pragma once

struct Node;

namespace dbvault::pgext {

// Checks ALTER of the tables whose definitions call the function(s) `node` changes;
// ereports 42501 on refusal. Other statements return at once. Calls PostgreSQL.
void check_function_change(Node* node, const char* query);

}  // namespace dbvault::pgext
