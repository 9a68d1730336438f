// The dbvault command line.
#include <unistd.h>

#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/log.h"
#include "server/audit_command.h"
#include "server/backup_command.h"
#include "server/init_command.h"
#include "server/parse_command.h"
#include "server/serve_command.h"
#include "storage/sqlite_process.h"

namespace {

constexpr std::string_view kUsage = R"(dbvault - a Database Vault for SQL databases

usage: dbvault [global options] <command> [command options]

commands:
  init --data-dir D [--kms file|env|pkcs11|kmip] [--pkcs11-module M] [--pkcs11-token-label L]
       [--pkcs11-key-label K] [--kmip-host H --kmip-port P --kmip-cert F --kmip-key F
       --kmip-ca F [--kmip-key-name N]]
                             create a data directory: key store, audit log, policy store with
                             the accounts dba, secadmin and auditor (passwords from
                             DBVAULT_DBA_PASSWORD, DBVAULT_SECADMIN_PASSWORD and
                             DBVAULT_AUDITOR_PASSWORD, else generated and printed once), the
                             engine database, a self-signed TLS certificate, dbvault.conf
  serve --data-dir D [--listen HOST:PORT] [--tls-cert F --tls-key F] [--require-tls]
        [--max-connections N] [--log-format text|json] [--log-level L] [--port-file F]
                             serve the data directory over the PostgreSQL protocol (default
                             127.0.0.1:6543); SIGTERM/SIGINT stop it cleanly, SIGHUP reloads
                             the TLS certificate (docs/server.md)
  parse [-c SQL | -f FILE]   split, classify and parse SQL (from SQL, FILE or standard input)
                             and print each statement's kind and canonical form; secrets
                             are printed as '********'
  audit verify|export ...    verify the audit log's hash chain, or export it as JSON Lines
                             (dbvault audit help; docs/audit.md)
  backup --data-dir D --to F [--key-id ID]
                             write an encrypted backup of a stopped server's data directory
                             (online: BACKUP DATABASE); restore password from
                             DBVAULT_RESTORE_PASSWORD, else made and printed once
  restore --from F --data-dir NEW [--key-file K] [--config C]
                             restore a backup into a new data directory and verify its audit
                             chain (password from DBVAULT_RESTORE_PASSWORD; docs/server.md)
  version                    print the version
  help                       print this text

global options:
  --log-format text|json     log lines for humans (default) or one JSON object per line
  --log-level LEVEL          trace, debug, info (default), warn, error, critical, off

Documentation: docs/quickstart.md, docs/server.md, docs/sql-reference.md.
)";

int usage_error(const std::string& message) {
  std::cerr << "dbvault: " << message << "\n(see 'dbvault help')\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  (void)dbvault::storage::configure_sqlite_process();  // before anything opens a database
  std::vector<std::string_view> args(argv + 1, argv + argc);
  dbvault::server::CommandLineLog cli_log;
  dbvault::LogOptions& log_options = cli_log.options;
  std::size_t i = 0;
  for (; i < args.size() && args[i].starts_with("--"); ++i) {
    if (i + 1 >= args.size())
      return usage_error("option " + std::string(args[i]) + " needs a value");
    if (args[i] == "--log-format") {
      auto format = dbvault::parse_log_format(args[++i]);
      if (!format) return usage_error(format.error().message);
      log_options.format = *format;
      cli_log.format_given = true;
    } else if (args[i] == "--log-level") {
      log_options.level = std::string(args[++i]);
      cli_log.level_given = true;
    } else {
      return usage_error("unknown option " + std::string(args[i]));
    }
  }
  if (auto s = dbvault::init_logging(log_options); !s) return usage_error(s.error().message);
  if (i >= args.size() || args[i] == "help" || args[i] == "--help") {
    std::cout << kUsage;
    return i >= args.size() ? 2 : 0;
  }
  const std::string_view command = args[i++];
  if (command == "version") {
    std::cout << "dbvault 0.1.0\n";
    return 0;
  }
  const std::vector<std::string_view> rest(args.begin() + static_cast<long>(i), args.end());
  if (command == "init") return dbvault::server::run_init_command(rest, std::cout, std::cerr);
  if (command == "serve")
    return dbvault::server::run_serve_command(rest, std::cout, std::cerr, cli_log);
  if (command == "audit") {
    return dbvault::server::run_audit_command({args.begin() + static_cast<long>(i), args.end()},
                                              std::cout, std::cerr);
  }
  if (command == "backup") return dbvault::server::run_backup_command(rest, std::cout, std::cerr);
  if (command == "restore") return dbvault::server::run_restore_command(rest, std::cout, std::cerr);
  if (command == "parse") {
    dbvault::server::ParseCommandOptions options;
    for (; i < args.size(); ++i) {
      if ((args[i] == "-c" || args[i] == "-f") && i + 1 < args.size()) {
        (args[i] == "-c" ? options.sql : options.file) = std::string(args[i + 1]);
        ++i;
      } else {
        return usage_error("parse: unexpected argument " + std::string(args[i]));
      }
    }
    options.interactive = options.sql.empty() && options.file.empty() && isatty(STDIN_FILENO);
    return dbvault::server::run_parse_command(options, std::cin, std::cout);
  }
  return usage_error("unknown command " + std::string(command));
}
