// `dbvault serve`: runs the server on a data directory (docs/server.md).
//
//   dbvault serve --data-dir D [--listen HOST:PORT] [--tls-cert F --tls-key F] [--require-tls]
//                 [--max-connections N] [--port-file F]
//
// Opens every service fail-closed (a wrong MEK, an audit log or policy store that does not
// open: exit 3 with the error), listens, and serves until SIGTERM or SIGINT: then it stops
// accepting, lets in-flight statements finish, flushes the audit log and exits 0. SIGHUP
// reloads the TLS certificate and key.
#pragma once

#include <ostream>
#include <string_view>
#include <vector>

namespace dbvault::server {

int run_serve_command(const std::vector<std::string_view>& args, std::ostream& out,
                      std::ostream& err);

}  // namespace dbvault::server
