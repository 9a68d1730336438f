// `dbvault parse`: reads SQL (a script file, -c text, or standard input; interactively with a
// prompt when standard input is a terminal), splits it into statements, and prints for each
// its kind, whether the vault or the engine runs it, and its canonical form with secrets
// redacted. Errors print as "ERROR <SQLSTATE>: <message>".
#pragma once

#include <iosfwd>
#include <string>

namespace dbvault::server {

struct ParseCommandOptions {
  std::string sql;           // -c
  std::string file;          // -f
  bool interactive = false;  // standard input is a terminal
};

// Returns the process exit status: 0 if every statement parsed, 1 otherwise.
int run_parse_command(const ParseCommandOptions& options, std::istream& in, std::ostream& out);

}  // namespace dbvault::server
