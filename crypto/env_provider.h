// The `env` master-key provider: the MEK comes from the environment of the server process, as
// container orchestrators and secret managers deliver it.
//
//   DBVAULT_MASTER_KEY_HEX  exactly 64 hex characters (256 bits), secret
//   DBVAULT_MASTER_KEY_ID   the key's non-secret name, 1..64 of [A-Za-z0-9._-]
//
// Missing, malformed, wrong-length or all-zero values are refused (58000) with a message that
// names the variable and the problem, never its value. Whether it is the key the data directory
// was created with is checked by TekStore::open against the recorded key-check value.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "crypto/master_key_provider.h"

namespace dbvault::crypto {

struct EnvProviderOptions {
  std::string key_variable = "DBVAULT_MASTER_KEY_HEX";
  std::string id_variable = "DBVAULT_MASTER_KEY_ID";
};

// Reads the variables once; later changes to the environment have no effect.
// Thread-safety: call while no other thread modifies the environment (i.e. at startup).
Result<std::unique_ptr<MasterKeyProvider>> open_env_provider(
    const EnvProviderOptions& options = {});

}  // namespace dbvault::crypto
