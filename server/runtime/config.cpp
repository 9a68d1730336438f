#include "server/runtime/config.h"

#include <charconv>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

namespace dbvault::server {
namespace {

Error bad_value(std::string_view key, std::string_view value, std::string_view expected) {
  return make_error(sqlstate::kInvalidParameterValue, "invalid value \"" + std::string(value) +
                                                          "\" for " + std::string(key) +
                                                          ": expected " + std::string(expected));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

Result<long long> to_integer(std::string_view key, std::string_view value, long long min,
                             long long max) {
  long long n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc{} || end != value.data() + value.size() || n < min || n > max) {
    return bad_value(key, value,
                     "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return n;
}

Result<bool> to_bool(std::string_view key, std::string_view value) {
  if (value == "on" || value == "true" || value == "yes" || value == "1") return true;
  if (value == "off" || value == "false" || value == "no" || value == "0") return false;
  return bad_value(key, value, "on or off");
}

std::vector<std::string> to_list(std::string_view value) {
  std::vector<std::string> out;
  std::stringstream in{std::string(value)};
  for (std::string item; std::getline(in, item, ',');) {
    const auto t = trim(item);
    if (!t.empty()) out.emplace_back(t);
  }
  return out;
}

using Setter = std::function<Status(ServerConfig&, std::string_view key, std::string_view value)>;

template <typename Field>
Setter text(Field ServerConfig::*field) {
  return [field](ServerConfig& c, std::string_view, std::string_view v) {
    c.*field = Field(std::string(v));
    return ok_status();
  };
}

template <typename Field>
Setter integer(Field ServerConfig::*field, long long min, long long max) {
  return [=](ServerConfig& c, std::string_view k, std::string_view v) -> Status {
    auto n = to_integer(k, v, min, max);
    if (!n) return std::move(n).error();
    c.*field = Field(*n);
    return ok_status();
  };
}

Setter boolean(bool ServerConfig::*field) {
  return [field](ServerConfig& c, std::string_view k, std::string_view v) -> Status {
    auto b = to_bool(k, v);
    if (!b) return std::move(b).error();
    c.*field = *b;
    return ok_status();
  };
}

Setter one_of(std::string ServerConfig::*field, std::vector<std::string> allowed) {
  return [=](ServerConfig& c, std::string_view k, std::string_view v) -> Status {
    for (const auto& a : allowed) {
      if (v == a) {
        c.*field = a;
        return ok_status();
      }
    }
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : " | ") + a;
    return bad_value(k, v, list);
  };
}

const std::map<std::string, Setter, std::less<>>& setters() {
  static const std::map<std::string, Setter, std::less<>> table = {
      {"listen", [](ServerConfig& c, std::string_view,
                    std::string_view v) { return parse_listen(v, c.listen_host, c.listen_port); }},
      {"kms", one_of(&ServerConfig::kms, {"file", "env", "pkcs11", "kmip"})},
      {"kms.next", one_of(&ServerConfig::kms_next, {"file", "env", "pkcs11", "kmip"})},
      {"kmip.host", text(&ServerConfig::kmip_host)},
      {"kmip.port", integer(&ServerConfig::kmip_port, 1, 65535)},
      {"kmip.cert", text(&ServerConfig::kmip_cert)},
      {"kmip.key", text(&ServerConfig::kmip_key)},
      {"kmip.ca", text(&ServerConfig::kmip_ca)},
      {"kmip.key_name", text(&ServerConfig::kmip_key_name)},
      {"pkcs11.module", text(&ServerConfig::pkcs11_module)},
      {"pkcs11.token_label", text(&ServerConfig::pkcs11_token_label)},
      {"pkcs11.key_label", text(&ServerConfig::pkcs11_key_label)},
      {"pkcs11.pin_variable", text(&ServerConfig::pkcs11_pin_variable)},
      {"tls.cert", text(&ServerConfig::tls_cert)},
      {"tls.key", text(&ServerConfig::tls_key)},
      {"tls.client_ca", text(&ServerConfig::tls_client_ca)},
      {"auth.cert_users",
       [](ServerConfig& c, std::string_view, std::string_view v) {
         c.cert_users = to_list(v);
         return ok_status();
       }},
      {"require_tls", boolean(&ServerConfig::require_tls)},
      {"max_connections", integer(&ServerConfig::max_connections, 1, 100000)},
      {"max_message_bytes", integer(&ServerConfig::max_message_bytes, 1024, 1ll << 30)},
      {"idle_timeout", integer(&ServerConfig::idle_timeout, 0, 1ll << 31)},
      {"idle_in_transaction_timeout",
       integer(&ServerConfig::idle_in_transaction_timeout, 0, 1ll << 31)},
      {"statement_timeout_ms", integer(&ServerConfig::statement_timeout, 0, 1ll << 40)},
      {"audit.export_programs",
       [](ServerConfig& c, std::string_view, std::string_view v) {
         c.export_programs = to_list(v);
         return ok_status();
       }},
      {"audit.alert_file", text(&ServerConfig::audit_alert_file)},
      {"audit.alert_command", text(&ServerConfig::audit_alert_command)},
      {"audit.realm_access", boolean(&ServerConfig::realm_access_audit)},
      {"audit.realm_access_coalesce_ms",
       integer(&ServerConfig::realm_access_coalesce, 0, 3600 * 1000)},
      {"engine.simple_query_cache", boolean(&ServerConfig::simple_query_cache)},
      {"log_format", one_of(&ServerConfig::log_format, {"text", "json"})},
      {"log_level",
       one_of(&ServerConfig::log_level, {"trace", "debug", "info", "warn", "error", "critical"})},
  };
  return table;
}

}  // namespace

Status parse_listen(std::string_view text, std::string& host, std::uint16_t& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return bad_value("listen", text, "HOST:PORT");
  }
  std::string_view h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  auto n = to_integer("listen", text.substr(colon + 1), 0, 65535);
  if (!n) return std::move(n).error();
  host = std::string(h);
  port = static_cast<std::uint16_t>(*n);
  return ok_status();
}

Status apply_setting(ServerConfig& config, std::string_view key, std::string_view value) {
  const auto it = setters().find(key);
  if (it == setters().end()) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "unknown configuration key \"" + std::string(key) + "\"");
  }
  return it->second(config, key, value);
}

Status load_config_file(const std::filesystem::path& path, ServerConfig& config) {
  std::ifstream in(path);
  if (!in) return ok_status();
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    std::string_view l = line;
    if (const auto hash = l.find('#'); hash != std::string_view::npos) l = l.substr(0, hash);
    l = trim(l);
    if (l.empty()) continue;
    const auto eq = l.find('=');
    const auto where = path.string() + ":" + std::to_string(number) + ": ";
    if (eq == std::string_view::npos) {
      return make_error(sqlstate::kInvalidParameterValue, where + "expected key = value");
    }
    std::string_view value = trim(l.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (auto s = apply_setting(config, trim(l.substr(0, eq)), value); !s) {
      Error e = std::move(s).error();
      e.message = where + e.message;
      return e;
    }
  }
  return ok_status();
}

std::string default_config_text() {
  return R"(# dbvault.conf: settings of `dbvault serve` (docs/server.md lists every key).
# Command-line flags override these. SIGHUP re-reads this file and the TLS files.

# listen = 127.0.0.1:6543
# kms = file                      # file | env | pkcs11 | kmip (docs/keys.md)
# kms.next =                      # provider of ALTER DATABASE ROTATE MASTER KEY (default: kms)
# pkcs11.module = /usr/lib/softhsm/libsofthsm2.so
# pkcs11.token_label = dbvault
# pkcs11.key_label = dbvault-mek
# pkcs11.pin_variable = DBVAULT_PKCS11_PIN
# kmip.host =                     # the KMIP key manager (TLS, client certificate)
# kmip.port = 5696
# kmip.cert =                     # client certificate (PEM); relative to the data directory
# kmip.key =                      # its private key (PEM)
# kmip.ca =                       # CA of the key manager's certificate (PEM)
# kmip.key_name = dbvault-mek     # Name attribute of the MEK in the key manager
# tls.cert = tls/server.crt       # relative to the data directory
# tls.key = tls/server.key
# tls.client_ca =                 # CA that signs client certificates (auth.cert_users)
# auth.cert_users =               # users who log in with a client certificate (CN = user)
# require_tls = off
# max_connections = 100
# max_message_bytes = 67108864
# idle_timeout = 0                # seconds; 0 = none
# idle_in_transaction_timeout = 0 # seconds; 0 = none
# statement_timeout_ms = 0        # 0 = none
# audit.export_programs =         # application_names whose reads are audited as data_export
# audit.realm_access = on         # a realm_access record for each statement on a realm object
# audit.realm_access_coalesce_ms = 1000  # repeats of a statement within this share one record
# engine.simple_query_cache = on  # simple queries differing only in literals share a statement
# log_format = text               # text | json
# log_level = info
)";
}

}  // namespace dbvault::server
