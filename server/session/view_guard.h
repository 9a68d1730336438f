// ViewGuard: what a query of the vault views (vault_views.h) may make their private SQLite
// connection do. The connection runs a user's SQL (any statement that names a vault.* view is
// routed there), so without a guard it accepted ATTACH DATABASE (any SQLite file the server
// may read, opened under the user's query), PRAGMAs, and every function SQLite has — among them
// fts3_tokenizer, whose one-argument form returns a pointer into the server's memory and whose
// two-argument form makes SQLite call a pointer the caller gives.
//
// The guard: load_extension off, fts3_tokenizer's pointer form off
// (SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER), DEFENSIVE on, and an authorizer that lets a
// statement only read (SELECT, reads of the views and of SQLite's own tables, WITH RECURSIVE)
// and call SQLite's built-in functions of the engine's allow list (storage::builtin_function):
// ATTACH, DETACH, PRAGMA, writes, DDL, transactions and every other function are refused at
// prepare, 42501 with the refused action named.
// Thread-safety: one per connection, used by the session's thread.
#pragma once

#include <optional>
#include <string>

#include "common/result.h"

struct sqlite3;

namespace dbvault::server::session {

class ViewGuard {
 public:
  // Applies the settings and installs the authorizer on `db`. REQUIRES: the views are
  // created (their DDL would be refused afterwards); this object outlives the authorizer's
  // use (until sqlite3_close or another authorizer). 58000 when a setting cannot be made.
  Status install(sqlite3* db);
  // The refusal of the statement prepared last, if the guard refused it (prepare then failed
  // with SQLITE_AUTH); cleared by the call.
  std::optional<Error> take_refusal();

 private:
  static int callback(void* self, int action, const char* a1, const char* a2, const char* db,
                      const char* context);
  std::optional<Error> refusal_;
};

}  // namespace dbvault::server::session
