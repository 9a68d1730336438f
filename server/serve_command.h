// `dbvault serve`: runs the server on a data directory (docs/server.md).
//
//   dbvault serve --data-dir D [--listen HOST:PORT] [--tls-cert F --tls-key F] [--require-tls]
//                 [--max-connections N] [--log-format text|json] [--log-level L] [--port-file F]
//
// Opens every service fail-closed (a wrong MEK, an audit log or policy store that does not
// open: exit 3 with the error), listens, and serves until SIGTERM or SIGINT: then it stops
// accepting, lets in-flight statements finish, flushes the audit log and exits 0. SIGHUP
// reloads the TLS certificate and key and dbvault.conf (server/runtime/live_config.h says
// which keys need a restart instead). Log format and level: serve's flags, else main's global
// ones, else dbvault.conf.
#pragma once

#include <ostream>
#include <string_view>
#include <vector>

#include "common/log.h"

namespace dbvault::server {

// The logging main() set up from its global flags, and which of them were given.
struct CommandLineLog {
  LogOptions options;
  bool format_given = false;
  bool level_given = false;
};

int run_serve_command(const std::vector<std::string_view>& args, std::ostream& out,
                      std::ostream& err, const CommandLineLog& cli);

}  // namespace dbvault::server
