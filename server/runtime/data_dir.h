// DataDir: the layout of one server's data directory (ARCHITECTURE.md §7, docs/server.md) and
// the master key that opens it.
//
//   dbvault.conf     settings (server/runtime/config.h)
//   policy.db        the vault's policy store
//   audit/           the audit store
//   data/main.db     the engine's default database
//   keys/keys.db     wrapped TEKs; keys/master.key only with the `file` key provider
//   tls/server.crt   the server certificate and its key (0600)
//
// Thread-safety: a value type; open_master_key() reads the environment (call at startup).
#pragma once

#include <filesystem>
#include <memory>

#include "common/result.h"
#include "crypto/master_key_provider.h"
#include "server/runtime/config.h"

namespace dbvault::server {

struct DataDir {
  std::filesystem::path root;

  std::filesystem::path config() const { return root / "dbvault.conf"; }
  std::filesystem::path policy() const { return root / "policy.db"; }
  std::filesystem::path audit() const { return root / "audit"; }
  std::filesystem::path data() const { return root / "data"; }
  std::filesystem::path engine_db() const { return data() / "main.db"; }
  std::filesystem::path keys() const { return root / "keys"; }
  std::filesystem::path master_key_file() const { return keys() / "master.key"; }
  std::filesystem::path tls() const { return root / "tls"; }
  // `p` itself when absolute, else under the data directory.
  std::filesystem::path resolve(const std::filesystem::path& p) const {
    return p.empty() || p.is_absolute() ? p : root / p;
  }
};

// Which master key to open: a provider kind with the settings of dbvault.conf, and the key.
struct MasterKeyChoice {
  std::string kind;     // env | file | pkcs11 | kmip
  std::string key_id;   // empty: the key dbvault.conf names (pkcs11.key_label, kmip.key_name,
                        // keys/master.key); env: always the one DBVAULT_MASTER_KEY_ID names
  bool create = false;  // file: a new key file; pkcs11 / kmip: generate the key when missing
  // env only: the variables holding the key and its id (the next key of a rotation has its own)
  std::string env_key_variable = "DBVAULT_MASTER_KEY_HEX";
  std::string env_id_variable = "DBVAULT_MASTER_KEY_ID";
};
Result<std::shared_ptr<crypto::MasterKeyProvider>> open_key_provider(const DataDir& dir,
                                                                     const ServerConfig& config,
                                                                     const MasterKeyChoice& choice);

// The key file of the `file` provider's key `key_id`: keys/master-<id>.key (made by a master key
// rotation) when it exists, else keys/master.key (made by dbvault init).
std::filesystem::path file_key_path(const DataDir& dir, const std::string& key_id);

// The data directory's master key. With `create` (dbvault init): the provider `config.kms`
// names, a `file` provider getting a new key file and a `pkcs11` / `kmip` one its key when
// missing. Otherwise the key keys/keys.db names as active (after a master key rotation, the new
// one), whose provider must be `kms` or `kms.next` (58000 otherwise: a key store must not pick
// a provider the operator did not configure). 58000 as the providers say.
Result<std::shared_ptr<crypto::MasterKeyProvider>> open_master_key(const DataDir& dir,
                                                                   const ServerConfig& config,
                                                                   bool create);

}  // namespace dbvault::server
