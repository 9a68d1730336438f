// CREATE TABLE in PostgreSQL's dialect, made to mean the same in SQLite's:
//   serial / bigserial / smallserial PRIMARY KEY -> INTEGER PRIMARY KEY AUTOINCREMENT
//   PRIMARY KEY columns get NOT NULL (SQLite lets a non-INTEGER primary key hold NULLs)
//   UNLOGGED, GLOBAL / LOCAL (before TEMP), WITH (fillfactor=...), WITHOUT OIDS: dropped
//   (storage hints that do not change what the table holds)
// and refused (0A000): serial outside a primary key, WITH OIDS, storage parameters other than
// the harmless ones, INHERITS, PARTITION BY, ON COMMIT, LIKE, EXCLUDE, USING <access method>.
// Internal to pgcompat.
#pragma once

#include <optional>

#include "server/pgcompat/statement.h"

namespace dbvault::server::pgcompat::detail {

// Also CREATE INDEX: CONCURRENTLY, ONLY, USING btree | hash and WITH (fillfactor) dropped;
// other index methods, INCLUDE and NULLS [NOT] DISTINCT refused.
// nullopt when the statement is neither, or needs nothing.
std::optional<Result<Translation>> translate_create_table(const Stmt& s);

}  // namespace dbvault::server::pgcompat::detail
