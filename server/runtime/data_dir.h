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

// The MEK provider `config.kms` names. With `create`, a `file` provider gets a new key file and
// a `pkcs11` one generates its key in the token when missing. 58000 as the providers say.
Result<std::shared_ptr<crypto::MasterKeyProvider>> open_master_key(const DataDir& dir,
                                                                   const ServerConfig& config,
                                                                   bool create);

}  // namespace dbvault::server
