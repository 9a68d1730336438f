// SavepointNames: the savepoints open in a session connection's transaction, kept from what
// SQLite reported of each completed statement (StatementFacts::transaction, savepoint_*), so
// that a transaction which has read and written nothing yet can be ended and begun again with
// the same savepoints.
//
// Why (attack 12): a writing statement inside BEGIN takes the database's write lock before its
// checks (compile.cpp, take_write_lock); when the vault then refuses it, the lock must not stay
// with the session, or a user allowed to write nothing would hold every other session's writes
// until ROLLBACK. SQLite gives a write lock back only at the end of the transaction, and the
// transaction had done nothing before that statement, so ending it and beginning it again
// (BEGIN DEFERRED, then each savepoint by name) changes nothing the session can see.
//
// Thread-safety: as its connection (one thread at a time).
#pragma once

#include <sqlite3.h>

#include <string>
#include <vector>

#include "common/result.h"
#include "storage/authorizer.h"

namespace dbvault::storage {

class SavepointNames {
 public:
  // After a statement with `facts` ran on `db` (completed or failed): follows its transaction
  // or savepoint statement, and forgets every name once `db` is in autocommit mode again.
  void after(const StatementFacts& facts, bool completed, sqlite3* db);
  // ROLLBACK, BEGIN, then SAVEPOINT for each open name, as the engine's own statements.
  // REQUIRES: the transaction has read and written nothing but the write lock it holds.
  Status restart_transaction(sqlite3* db, Authorizer& auth) const;

 private:
  std::vector<std::string> names_;  // outermost first
};

}  // namespace dbvault::storage
