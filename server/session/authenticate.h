// Authentication of one connection after its StartupMessage: SCRAM-SHA-256 (with
// SCRAM-SHA-256-PLUS channel binding over TLS) from the vault's stored verifier, or, for the
// users named in auth.cert_users, the verified client certificate whose subject CN is the user.
//
// A failure is answered like PostgreSQL does — FATAL 28P01 "password authentication failed for
// user "x"" — whether or not the user exists (an unknown user runs the same exchange against a
// mock verifier), and audited as login_failed with the client address.
#pragma once

#include <string>

#include "common/result.h"
#include "server/session/connection_io.h"
#include "server/session/context.h"

namespace dbvault::server::session {

// Runs the exchange; ok once the client proved it is `user` (AuthenticationOk not yet sent).
// On error the caller sends the error as FATAL and closes.
Status authenticate(ServerContext& ctx, ConnectionIo& io, const std::string& user,
                    const std::string& client_ip, std::string& auth_method);

}  // namespace dbvault::server::session
