// Process-wide SQLite settings, made once before the first SQLite call of the process (SQLite
// takes them only before it is initialized). Thread-safety: call from main() before any
// thread uses SQLite.
#pragma once

namespace dbvault::storage {

// Turns SQLite's memory statistics off: with them, every allocation of every connection
// (statements compiled, rows read) takes one global mutex, and the server's sessions queue on
// it (docs/performance.md, stop 29). Nothing in dbvault reads those statistics. Returns false
// when SQLite was already initialized (nothing changed).
bool configure_sqlite_process();

}  // namespace dbvault::storage
