// ReadPin: one read transaction on main for the checks of an autocommit read and its first step.
// Outside a transaction every schema query of a statement's checks (the SchemaCache cookies,
// the index and placement queries) opened and closed a read transaction of its own: in WAL
// mode each costs POSIX lock calls on the database file and SQLite's process-wide lock mutex,
// and the sessions of a busy server queued on them (docs/performance.md, stop 29). Pinned,
// the checks and the statement read one snapshot: what was checked (the indexes of a table, a
// name's placement) is also what the statement runs on, even if another session commits DDL
// in between.
//
// Only for a statement that reads and changes nothing else: a transaction that began at the
// pin's snapshot could not wait for the write lock later (a snapshot that is not the latest
// cannot be upgraded), so writes, BEGIN, SAVEPOINT, DDL, ATTACH and DETACH are not pinned.
// Thread-safety: the connection's thread.
#pragma once

#include <sqlite3.h>

#include <memory>

#include "storage/authorizer.h"

namespace dbvault::storage {

class ReadPin {
 public:
  struct Finalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  using Query = std::unique_ptr<sqlite3_stmt, Finalize>;

  ReadPin() = default;
  ReadPin(const ReadPin&) = delete;
  ReadPin& operator=(const ReadPin&) = delete;
  ~ReadPin() { release(); }

  // True when `stmt` (compiled, with `facts`) may run pinned: an autocommit statement that
  // only SELECTs.
  static bool applies(sqlite3* db, sqlite3_stmt* stmt, const StatementFacts& facts);
  // Opens the read transaction: steps `query` (the connection's, prepared here the first time)
  // to its row and keeps it there. Does nothing when that fails (the checks then run as
  // without a pin).
  void hold(sqlite3* db, Authorizer& auth, Query& query);
  // Ends the pin (the statement, once stepped, keeps its own read transaction).
  void release();

 private:
  sqlite3_stmt* held_ = nullptr;
};

}  // namespace dbvault::storage
