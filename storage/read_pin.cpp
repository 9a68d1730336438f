#include "storage/read_pin.h"

#include <algorithm>

namespace dbvault::storage {

bool ReadPin::applies(sqlite3* db, sqlite3_stmt* stmt, const StatementFacts& facts) {
  if (stmt == nullptr || sqlite3_get_autocommit(db) == 0 || sqlite3_stmt_readonly(stmt) == 0 ||
      sqlite3_stmt_isexplain(stmt) != 0) {
    return false;
  }
  if (facts.ddl || facts.whole_database || !facts.transaction.empty() ||
      !facts.savepoint_op.empty() || facts.accesses.empty()) {
    return false;
  }
  // ATTACH and DETACH are read-only to SQLite; they report no column reads.
  return std::all_of(facts.accesses.begin(), facts.accesses.end(),
                     [](const EngineAccess& a) { return a.command == ast::Command::kSelect; });
}

void ReadPin::hold(sqlite3* db, Authorizer& auth, Query& query) {
  release();
  auto scope = auth.internal();  // a re-prepare of the query asks the authorizer
  if (!query) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(db, "PRAGMA main.schema_version", -1, SQLITE_PREPARE_PERSISTENT, &raw,
                           nullptr) != SQLITE_OK) {
      sqlite3_finalize(raw);
      return;
    }
    query.reset(raw);
  }
  if (sqlite3_step(query.get()) == SQLITE_ROW) {
    held_ = query.get();
  } else {
    sqlite3_reset(query.get());
  }
}

void ReadPin::release() {
  if (held_ != nullptr) sqlite3_reset(held_);
  held_ = nullptr;
}

}  // namespace dbvault::storage
