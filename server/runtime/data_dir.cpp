#include "server/runtime/data_dir.h"

#include "crypto/env_provider.h"
#include "crypto/file_provider.h"
#include "crypto/kmip_provider.h"
#include "crypto/pkcs11_provider.h"

namespace dbvault::server {

Result<std::shared_ptr<crypto::MasterKeyProvider>> open_master_key(const DataDir& dir,
                                                                   const ServerConfig& config,
                                                                   bool create) {
  Result<std::unique_ptr<crypto::MasterKeyProvider>> provider =
      make_error(sqlstate::kInvalidParameterValue, "unknown key provider \"" + config.kms + "\"");
  if (config.kms == "file") {
    provider = create ? crypto::create_file_provider(dir.master_key_file(), "dbvault-file-mek-1")
                      : crypto::open_file_provider(dir.master_key_file());
  } else if (config.kms == "env") {
    provider = crypto::open_env_provider();
  } else if (config.kms == "pkcs11") {
    crypto::Pkcs11Options o;
    o.module_path = config.pkcs11_module;
    o.token_label = config.pkcs11_token_label;
    o.key_label = config.pkcs11_key_label;
    o.pin_variable = config.pkcs11_pin_variable;
    o.create_key_if_missing = create;
    provider = crypto::open_pkcs11_provider(o);
  } else if (config.kms == "kmip") {
    crypto::KmipOptions o;
    o.host = config.kmip_host;
    o.port = config.kmip_port;
    o.cert_path = dir.resolve(config.kmip_cert).string();
    o.key_path = dir.resolve(config.kmip_key).string();
    o.ca_path = dir.resolve(config.kmip_ca).string();
    o.key_name = config.kmip_key_name;
    o.create_key_if_missing = create;
    provider = crypto::open_kmip_provider(o);
  }
  if (!provider) return std::move(provider).error();
  return std::shared_ptr<crypto::MasterKeyProvider>(std::move(*provider));
}

}  // namespace dbvault::server
