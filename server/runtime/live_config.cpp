#include "server/runtime/live_config.h"

#include <tuple>

namespace dbvault::server {
namespace {

// One restart-only key: its name in dbvault.conf and the fields it sets.
struct FixedKey {
  const char* name;
  bool (*restore)(const ServerConfig& running, ServerConfig& next);  // true: it differed
};

template <auto... Fields>
bool restore(const ServerConfig& running, ServerConfig& next) {
  const bool differs = std::tie(running.*Fields...) != std::tie(next.*Fields...);
  ((next.*Fields = running.*Fields), ...);
  return differs;
}

constexpr FixedKey kFixedKeys[] = {
    {"listen", restore<&ServerConfig::listen_host, &ServerConfig::listen_port>},
    {"kms", restore<&ServerConfig::kms>},
    {"kms.next", restore<&ServerConfig::kms_next>},
    {"pkcs11.module", restore<&ServerConfig::pkcs11_module>},
    {"pkcs11.token_label", restore<&ServerConfig::pkcs11_token_label>},
    {"pkcs11.key_label", restore<&ServerConfig::pkcs11_key_label>},
    {"pkcs11.pin_variable", restore<&ServerConfig::pkcs11_pin_variable>},
    {"kmip.host", restore<&ServerConfig::kmip_host>},
    {"kmip.port", restore<&ServerConfig::kmip_port>},
    {"kmip.cert", restore<&ServerConfig::kmip_cert>},
    {"kmip.key", restore<&ServerConfig::kmip_key>},
    {"kmip.ca", restore<&ServerConfig::kmip_ca>},
    {"kmip.key_name", restore<&ServerConfig::kmip_key_name>},
    {"tls.cert", restore<&ServerConfig::tls_cert>},
    {"tls.key", restore<&ServerConfig::tls_key>},
    {"tls.client_ca", restore<&ServerConfig::tls_client_ca>},
    {"max_connections", restore<&ServerConfig::max_connections>},
    {"log_format", restore<&ServerConfig::log_format>},
};

}  // namespace

std::vector<std::string> keep_restart_only_keys(const ServerConfig& running, ServerConfig& next) {
  std::vector<std::string> changed;
  for (const auto& key : kFixedKeys) {
    if (key.restore(running, next)) changed.emplace_back(key.name);
  }
  return changed;
}

LiveConfig::LiveConfig(ServerConfig initial) {
  versions_.push_back(std::make_unique<const ServerConfig>(std::move(initial)));
  current_.store(versions_.back().get(), std::memory_order_release);
}

std::vector<std::string> LiveConfig::replace(ServerConfig next) {
  std::lock_guard lock(mu_);
  auto changed = keep_restart_only_keys(current(), next);
  versions_.push_back(std::make_unique<const ServerConfig>(std::move(next)));
  current_.store(versions_.back().get(), std::memory_order_release);
  return changed;
}

}  // namespace dbvault::server
