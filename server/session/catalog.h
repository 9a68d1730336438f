// The CatalogSource that pgcompat's emulated pg_catalog answers from (psql's \dt, \d, \du ...):
// tables, columns and indexes read from the engine database's schema through one read-only
// connection the server shares, and roles from the vault's policy snapshot.
//
// It lists every table, realm-protected or not: names and column types are metadata, which the
// vault does not hide (docs/server.md); reading a protected table's rows is what the vault
// stops.
#pragma once

#include <memory>

#include "server/pgcompat/pgcompat.h"
#include "server/session/context.h"
#include "vault/session.h"

namespace dbvault::server::session {

std::unique_ptr<pgcompat::CatalogSource> make_catalog(ServerContext& ctx,
                                                      const vault::Session& session);

}  // namespace dbvault::server::session
