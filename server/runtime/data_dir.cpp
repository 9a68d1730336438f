#include "server/runtime/data_dir.h"

#include "crypto/env_provider.h"
#include "crypto/file_provider.h"
#include "crypto/kmip_provider.h"
#include "crypto/pkcs11_provider.h"
#include "crypto/tek_store.h"

namespace dbvault::server {

std::filesystem::path file_key_path(const DataDir& dir, const std::string& key_id) {
  std::error_code ec;
  const auto rotated = dir.keys() / ("master-" + key_id + ".key");
  if (!key_id.empty() && std::filesystem::exists(rotated, ec)) return rotated;
  return dir.master_key_file();
}

Result<std::shared_ptr<crypto::MasterKeyProvider>> open_key_provider(
    const DataDir& dir, const ServerConfig& config, const MasterKeyChoice& choice) {
  Result<std::unique_ptr<crypto::MasterKeyProvider>> provider =
      make_error(sqlstate::kInvalidParameterValue, "unknown key provider \"" + choice.kind + "\"");
  if (choice.kind == "file") {
    if (choice.create) {
      const auto path = choice.key_id.empty() ? dir.master_key_file()
                                              : dir.keys() / ("master-" + choice.key_id + ".key");
      provider = crypto::create_file_provider(
          path, choice.key_id.empty() ? "dbvault-file-mek-1" : choice.key_id);
    } else {
      provider = crypto::open_file_provider(file_key_path(dir, choice.key_id));
    }
  } else if (choice.kind == "env") {
    provider = crypto::open_env_provider({choice.env_key_variable, choice.env_id_variable});
  } else if (choice.kind == "pkcs11") {
    crypto::Pkcs11Options o;
    o.module_path = config.pkcs11_module;
    o.token_label = config.pkcs11_token_label;
    o.key_label = choice.key_id.empty() ? config.pkcs11_key_label : choice.key_id;
    o.pin_variable = config.pkcs11_pin_variable;
    o.create_key_if_missing = choice.create;
    provider = crypto::open_pkcs11_provider(o);
  } else if (choice.kind == "kmip") {
    crypto::KmipOptions o;
    o.host = config.kmip_host;
    o.port = config.kmip_port;
    o.cert_path = dir.resolve(config.kmip_cert).string();
    o.key_path = dir.resolve(config.kmip_key).string();
    o.ca_path = dir.resolve(config.kmip_ca).string();
    o.key_name = choice.key_id.empty() ? config.kmip_key_name : choice.key_id;
    o.create_key_if_missing = choice.create;
    provider = crypto::open_kmip_provider(o);
  }
  if (!provider) return std::move(provider).error();
  return std::shared_ptr<crypto::MasterKeyProvider>(std::move(*provider));
}

namespace {

MasterKeyChoice choice_of(std::string kind, std::string key_id, bool create) {
  MasterKeyChoice c;
  c.kind = std::move(kind);
  c.key_id = std::move(key_id);
  c.create = create;
  return c;
}

}  // namespace

Result<std::shared_ptr<crypto::MasterKeyProvider>> open_master_key(const DataDir& dir,
                                                                   const ServerConfig& config,
                                                                   bool create) {
  if (create) return open_key_provider(dir, config, choice_of(config.kms, "", true));
  auto active = crypto::TekStore::active_master_key(dir.keys());
  if (!active) return std::move(active).error();
  // No key store yet: TekStore::open reports what is missing.
  if (!*active) return open_key_provider(dir, config, choice_of(config.kms, "", false));
  const auto& [key_id, provider] = **active;
  if (provider != config.kms && provider != config.kms_next) {
    return make_error(sqlstate::kSystemError,
                      "the data directory's master key \"" + key_id + "\" is held by the " +
                          provider + " provider (since a master key rotation), but " +
                          dir.config().string() + " configures kms = " + config.kms +
                          (config.kms_next.empty() ? "" : " and kms.next = " + config.kms_next) +
                          ": set kms = " + provider + " and its settings (docs/keys.md)");
  }
  return open_key_provider(dir, config, choice_of(provider, key_id, false));
}

}  // namespace dbvault::server
