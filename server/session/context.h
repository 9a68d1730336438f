// ServerContext: what every client connection of one running server shares. Built by
// `dbvault serve` (server/serve_command.cpp); outlives every connection.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

#include "crypto/secret_bytes.h"
#include "server/net/tls.h"
#include "server/runtime/live_config.h"
#include "server/runtime/services.h"
#include "server/session/registry.h"
#include "server/session/watchdog.h"
#include "storage/engine.h"

struct sqlite3;

namespace dbvault::server::session {

struct ServerContext {
  ServerContext(Services& s, const LiveConfig& c, storage::Engine& e, net::TlsConfig* t,
                SessionRegistry& r, crypto::SecretBytes mock)
      : services(s),
        live_config(c),
        engine(e),
        tls(t),
        registry(r),
        mock_verifier_secret(std::move(mock)) {}

  Services& services;
  const LiveConfig& live_config;  // the settings in force (SIGHUP replaces them)
  storage::Engine& engine;
  net::TlsConfig* tls = nullptr;  // nullptr: SSLRequest is answered 'N'
  SessionRegistry& registry;
  crypto::SecretBytes mock_verifier_secret;  // for unknown users (server/wire/scram.h)
  std::atomic<std::uint64_t> next_session_id{1};
  // A read-only connection to the engine database for catalog queries (catalog.h).
  sqlite3* catalog_db = nullptr;
  std::mutex catalog_mu;
  Watchdog watchdog;  // statement timeouts

  const ServerConfig& config() const { return live_config.current(); }
};

}  // namespace dbvault::server::session
