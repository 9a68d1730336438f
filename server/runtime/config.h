// ServerConfig: the settings of `dbvault serve`, read from <data-dir>/dbvault.conf and then
// overridden by command-line flags. docs/server.md documents every key.
//
// File format: one `key = value` per line; `#` starts a comment; blank lines are ignored;
// values may be wrapped in double quotes. An unknown key, a malformed line or a bad value is an
// error naming the file and line (22023): a typo must not silently leave a default in force.
//
// Thread-safety: a value type.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace dbvault::server {

struct ServerConfig {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 6543;
  std::string kms = "file";  // file | env | pkcs11 | kmip
  // The provider ALTER DATABASE ROTATE MASTER KEY moves to (empty: kms's); start-up accepts a
  // master key of either (docs/keys.md, "Master key rotation").
  std::string kms_next;
  std::string pkcs11_module;
  std::string pkcs11_token_label;
  std::string pkcs11_key_label = "dbvault-mek";
  std::string pkcs11_pin_variable = "DBVAULT_PKCS11_PIN";
  std::string kmip_host;  // kmip: the key manager (docs/keys.md "KMIP")
  std::uint16_t kmip_port = 5696;
  std::filesystem::path kmip_cert;  // client certificate; relative paths: under the data dir
  std::filesystem::path kmip_key;
  std::filesystem::path kmip_ca;  // CA of the key manager's certificate
  std::string kmip_key_name = "dbvault-mek";
  std::filesystem::path tls_cert = "tls/server.crt";  // relative paths: under the data dir
  std::filesystem::path tls_key = "tls/server.key";
  std::filesystem::path tls_client_ca;  // CA for client-certificate logins (empty: none)
  std::vector<std::string> cert_users;  // users who log in with a client certificate
  bool require_tls = false;
  int max_connections = 100;
  std::uint32_t max_message_bytes = 64u << 20;
  std::chrono::seconds idle_timeout{0};                 // 0: none
  std::chrono::seconds idle_in_transaction_timeout{0};  // 0: none
  std::chrono::milliseconds statement_timeout{0};       // 0: none
  std::vector<std::string> export_programs;  // application_names whose reads are data_export
  // Where audit alerts go besides the server log (server/runtime/alert_sinks.h); empty: nowhere.
  std::filesystem::path audit_alert_file;    // relative paths: under the data dir
  std::string audit_alert_command;           // run with /bin/sh -c, the alert on standard input
  bool realm_access_audit = true;            // a realm_access record per statement on a realm
  // Repeats of a session's statement within this window share one record (0: none do).
  std::chrono::milliseconds realm_access_coalesce{1000};
  // Simple queries that differ only in literals share one prepared statement (docs/engine.md §4).
  bool simple_query_cache = true;
  std::string log_format = "text";
  std::string log_level = "info";
};

// Applies `key = value` (as in the file) to `config`. 22023 for an unknown key or bad value.
Status apply_setting(ServerConfig& config, std::string_view key, std::string_view value);

// Reads `path` over `config`. A missing file is not an error (defaults stay).
Status load_config_file(const std::filesystem::path& path, ServerConfig& config);

// The file `dbvault init` writes: every key with its default, commented.
std::string default_config_text();

// "HOST:PORT" (IPv6 as "[::1]:PORT"). 22023 when malformed.
Status parse_listen(std::string_view text, std::string& host, std::uint16_t& port);

}  // namespace dbvault::server
