// ALTER DATABASE ROTATE MASTER KEY [TO KEY_ID 'id'] for a running server (docs/keys.md, "Master
// key rotation"): opens the next master key and re-wraps every TEK of the key store under it,
// online — no data is rewritten, released keys stay valid, sessions keep running.
//
// The next key's provider is `kms.next` in dbvault.conf (default: the current key's provider),
// with that provider's settings of dbvault.conf; its id is TO KEY_ID, or by default the current
// id with its numeric suffix incremented ("mek-1" -> "mek-2", "prod" -> "prod-2"):
//   env     DBVAULT_NEXT_MASTER_KEY_HEX / DBVAULT_NEXT_MASTER_KEY_ID (read when rotating; the id
//           must equal TO KEY_ID when that is given)
//   file    a new key file keys/master-<id>.key (removed again if the rotation fails); after the
//           rotation the old key file is deleted
//   pkcs11  the key labelled <id> in the configured token, generated there if missing
//   kmip    the key named <id> in the configured key manager, created there if missing
//
// Crash safety: the re-wrap is one SQLite transaction of keys/keys.db (TekStore::rotate_mek),
// and start-up opens the key keys.db names as active (server/runtime/data_dir.h): a crash before
// the commit leaves the old key in force, after it the new one — never neither.
//
// Thread-safety: as KeyGate::rotate_mek (any thread; one rotation at a time).
#pragma once

#include "server/runtime/config.h"
#include "server/runtime/services.h"
#include "vault/vault.h"

namespace dbvault::server {

// REQUIRES: services.keys and services.gate are open and outlive the result's use.
Result<vault::MasterKeyRotation> rotate_master_key(Services& services, const ServerConfig& config,
                                                   const std::optional<std::string>& key_id);

// The rotator the vault's ALTER DATABASE ROTATE MASTER KEY calls (vault::Options), bound to
// `services` and a copy of `config` (the configuration at start).
vault::MasterKeyRotator master_key_rotator(Services& services, ServerConfig config);

// The default id of the key after `id`: its trailing number incremented, or "-2" appended.
std::string next_key_id(const std::string& id);

}  // namespace dbvault::server
