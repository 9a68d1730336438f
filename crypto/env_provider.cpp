#include "crypto/env_provider.h"

#include <cstdlib>
#include <cstring>

#include "crypto/software_master_key.h"

namespace dbvault::crypto {

Result<std::unique_ptr<MasterKeyProvider>> open_env_provider(const EnvProviderOptions& options) {
  const char* hex = std::getenv(options.key_variable.c_str());
  if (hex == nullptr || *hex == '\0') {
    return make_error(sqlstate::kSystemError,
                      "master key provider env: " + options.key_variable +
                          " is not set; refusing to start without the master key");
  }
  const char* id = std::getenv(options.id_variable.c_str());
  if (id == nullptr || *id == '\0') {
    return make_error(sqlstate::kSystemError,
                      "master key provider env: " + options.id_variable + " is not set");
  }
  if (!validate_key_id(id).ok()) {
    return make_error(sqlstate::kSystemError, "master key provider env: " + options.id_variable +
                                                  " must be 1..64 characters of A-Z a-z 0-9 . _ -");
  }
  auto mek = internal::decode_hex_key(std::string_view(hex, std::strlen(hex)), 32,
                                      "master key provider env: " + options.key_variable);
  if (!mek) return std::move(mek).error();
  return internal::make_software_provider("env", id, std::move(*mek));
}

}  // namespace dbvault::crypto
