// `dbvault audit verify|export`: offline access to a data directory's audit log (it may run
// while a server appends). The MEK comes from --key-provider env|file (default: file when
// <data-dir>/keys/master.key exists, env otherwise); see docs/audit.md "Command line".
#pragma once

#include <iosfwd>
#include <string_view>
#include <vector>

namespace dbvault::server {

// `args` are the words after "audit". Returns the exit status: 0 ok (verify: chain intact),
// 1 verify found a broken chain, 2 usage error, 3 any other error (printed as
// "ERROR <SQLSTATE>: <message>").
int run_audit_command(const std::vector<std::string_view>& args, std::ostream& out,
                      std::ostream& err);

}  // namespace dbvault::server
