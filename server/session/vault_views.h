// The vault.* views over SQL: vault.audit_log, vault.settings, vault.realms,
// vault.realm_objects, vault.command_rules, vault.sessions, vault.emergency_unlocks,
// vault.tokens, vault.encryption_progress, vault.tablespaces (key_views.h) — queryable with WHERE,
// ORDER BY, aggregates and joins among themselves.
//
// They are virtual tables on a private in-memory SQLite connection of the session (never the
// engine's connection), so a query on them cannot reach an engine table, and an engine
// statement cannot reach them. Every view requires AUDIT_VIEWER or VAULT_ADMIN, checked against
// the policy snapshot at every query (42501 otherwise); none ever shows key material, a
// password or a token (tokens: ids and expiries only). A query only reads: ViewGuard refuses
// ATTACH, PRAGMA, writes and every function but SQLite's pure built-ins (42501).
//
// Thread-safety: one session's thread.
#pragma once

#include <memory>
#include <string_view>

#include "server/pgcompat/pgcompat.h"
#include "server/session/context.h"
#include "server/session/view_guard.h"
#include "vault/session.h"

struct sqlite3;

namespace dbvault::server::session {

// True if `sql` names a vault.* relation (outside strings and comments).
bool names_vault_view(std::string_view sql);

class VaultViews {
 public:
  VaultViews(ServerContext& ctx, vault::Session& session);
  ~VaultViews();
  // Runs one read-only statement over the views. 42501 without the role; 0A000 for writes.
  Result<pgcompat::ResultSet> query(std::string_view sql);

 private:
  Status open();
  ServerContext& ctx_;
  vault::Session& session_;
  sqlite3* db_ = nullptr;
  ViewGuard guard_;  // what a query may do on db_ (view_guard.h)
};

}  // namespace dbvault::server::session
