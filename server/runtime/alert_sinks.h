// Where the audit log's alerts go in a server (audit/alert.h, docs/audit.md §8): always the
// server log, at level critical (the alert's one-line message, which never holds a secret), and
// besides it, when dbvault.conf says so, a JSON Lines file (`audit.alert_file`) and a command
// (`audit.alert_command`, the alert's JSON line on its standard input). Alerts are raised by
// every CRITICAL record (emergency access), every lockout and every failed verification.
#pragma once

#include <memory>

#include "audit/alert.h"
#include "server/runtime/config.h"
#include "server/runtime/data_dir.h"

namespace dbvault::server {

std::shared_ptr<audit::AlertSink> server_alert_sink(const ServerConfig& config, const DataDir& dir);

}  // namespace dbvault::server
