// Process-wide logging through spdlog: text for humans or one JSON object per line.
//
// Never pass a password, token, key or protected value to a log call, at any level: the
// test suites grep the logs for the secrets they used. Thread-safe after init_logging().
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace dbvault {

enum class LogFormat { kText, kJson };

struct LogOptions {
  LogFormat format = LogFormat::kText;
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  std::string file;            // empty: standard error
};

// Parses "text" or "json". Unknown names are 22023.
Result<LogFormat> parse_log_format(std::string_view name);

// Installs the default logger. On error (unknown level, unwritable file) nothing changes.
Status init_logging(const LogOptions& options);

// Escapes `text` for inclusion inside a JSON string literal (without the quotes).
std::string json_escape(std::string_view text);

}  // namespace dbvault
