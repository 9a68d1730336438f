// One client connection from accept to close: the startup phase (SSLRequest -> TLS 1.3,
// GSSENCRequest -> 'N', CancelRequest, StartupMessage), authentication, the vault login
// (CONNECT rules), the session parameters, then the query loop (query_loop.h).
//
// Every failure before the session starts is a FATAL ErrorResponse (when the client can still
// be told) and a closed connection; nothing a client sends can stop the server or another
// session. Runs on its own thread.
#pragma once

#include "server/net/listener.h"
#include "server/session/context.h"

namespace dbvault::server::session {

// Takes ownership of `fd`. Returns when the connection is closed.
void serve_connection(ServerContext& ctx, int fd, const net::Peer& peer);

}  // namespace dbvault::server::session
