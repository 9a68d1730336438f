// DDL that reaches tables it does not name (docs/postgresql.md §4, "DDL that reaches other
// tables"). A utility statement on a table outside every realm can still read, validate or
// destroy the rows of realm tables related to it, and its errors then describe those rows:
//   ALTER TABLE parent ... (no ONLY)   recurses into every inheritance child and partition:
//                                      ADD CONSTRAINT ... CHECK validates their rows (the
//                                      violation is a value oracle)
//   CREATE INDEX ON parent (no ONLY)   builds the index on every partition (a UNIQUE build
//                                      error quotes the duplicated key)
//   DROP TABLE parent                  drops its partitions (and, CASCADE, its children)
//   TRUNCATE ... CASCADE               empties the tables whose foreign keys reference it
//   ALTER DOMAIN d ADD CONSTRAINT /    validates every column of type d (through domains,
//   SET NOT NULL / VALIDATE            arrays and composite types over d)
//   DROP DOMAIN / TYPE ... CASCADE     drops those columns
//   CREATE STATISTICS ON ... FROM t    samples t's rows into pg_statistic_ext_data
// Each is checked as what it does to the tables it reaches: ALTER (DROP, TRUNCATE) of each
// of them and of the tables their rows belong to, so that a session the realm does not
// admit is refused (42501) before PostgreSQL runs it. Internal to pgext/.
#pragma once

struct Node;

namespace dbvault::pgext {

// Checks what `node` reaches beyond the tables it names, for the session (realms and command
// rules); ereports the refusal. Statements that reach nothing more return at once. Calls
// PostgreSQL.
void check_ddl_reach(Node* node, const char* query);

}  // namespace dbvault::pgext
