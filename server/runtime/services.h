// Services: everything one data directory runs on, opened in dependency order — the master
// key, the key store, the audit log, the key gate and the engine database's encrypting VFS,
// the vault — and closed in reverse. `dbvault init` creates them; `dbvault serve` and the tools
// open them. The engine is opened by the caller (storage/), on top of these, through
// `engine_vfs` (docs/encryption.md, "The engine database").
//
// Fail closed: any piece that does not open (wrong MEK, unreadable key store, audit log that
// cannot be written, an engine database the key does not decrypt or that is not encrypted,
// policy store that does not open) makes open_services() fail with its error (58000 / 58030 /
// XX001), and nothing is served.
//
// Thread-safety: the members are thread-safe as their own headers say.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "audit/log.h"
#include "common/clock.h"
#include "common/secret_string.h"
#include "crypto/key_gate.h"
#include "crypto/tek_store.h"
#include "server/runtime/config.h"
#include "server/runtime/data_dir.h"
#include "storage/access_set.h"
#include "storage/vfs/tde_vfs.h"
#include "vault/audit_log_sink.h"
#include "vault/key_authorizer.h"
#include "vault/vault.h"

namespace dbvault::storage {
class Engine;
}

namespace dbvault::server {

class TekRotations;  // tek_rotation.h

struct Services {
  DataDir dir;
  const Clock* clock = nullptr;
  std::unique_ptr<crypto::TekStore> keys;
  std::unique_ptr<audit::Log> audit;
  std::unique_ptr<vault::AuditLogSink> sink;
  // The only way to a usable TEK (crypto/key_gate.h), its releases audited as key_access.
  // The server holds the engine database's key; once attach_tablespaces() ran, sessions get
  // tablespace keys as the vault admits them (docs/encryption.md §9).
  std::unique_ptr<crypto::KeyAccessSink> key_access;
  std::unique_ptr<crypto::KeyAuthorizer> key_authorizer;
  // Set by attach_tablespaces(): the vault's answer for tablespace keys, with the sessions
  // attached for as long as they run, and the rule of empty tablespaces on top of it.
  std::unique_ptr<vault::KeyAuthorizer> vault_key_authorizer;
  std::unique_ptr<crypto::KeyAuthorizer> tablespace_authorizer;
  std::unique_ptr<vault::TablespaceHost> tablespace_host;
  // Set by attach_tablespaces(): BACKUP / RESTORE DATABASE (server/runtime/backup_host.h).
  std::unique_ptr<vault::BackupHost> backup_host;
  // VERIFY AUDIT LOG and CREATE / DROP AUDIT HOLD on `audit` (server/runtime/audit_host.h).
  std::unique_ptr<vault::AuditHost> audit_host;
  std::unique_ptr<crypto::KeyGate> gate;
  // The engine database's encrypting VFS, under the `tablespace:default` TEK released by
  // `gate` (renewed through it when the cached key expires). Every connection to the engine
  // database uses it: EngineOptions::vfs, the resolver, the server's catalog connection.
  std::shared_ptr<storage::vfs::TdeVfs> engine_vfs;
  // EXPLAIN VAULT's access sets (a read-only connection to the engine database; absent until
  // the engine database exists, i.e. during init).
  std::unique_ptr<storage::SqliteAccessResolver> resolver;
  // policy.db's encrypting VFS (server/runtime/policy_store_file.h), under a subkey of the
  // `policy` TEK: the vault's policy store and the backup's copy of it go through it.
  std::unique_ptr<storage::vfs::TdeVfs> policy_vfs;
  std::unique_ptr<vault::Vault> vault;
  // The key of HASH masks (storage::EngineOptions::masking_key), derived from the policy TEK.
  std::shared_ptr<const crypto::SecretBytes> masking_key;
  vault::PolicyStore* policy_store = nullptr;  // the vault's, with the audit anchor attached
  // Set by attach_tablespaces(): TEK rotations of the tablespaces and the engine database
  // (ALTER TABLESPACE ... ROTATE ENCRYPTION KEY, vault.encryption_progress). Its worker uses the
  // engine: reset it before the engine closes.
  std::unique_ptr<TekRotations> rotations;

  // Stops the rotations' worker, re-anchors the policy store at the audit log's end, detaches
  // the anchor, closes the vault,
  // the resolver, the VFS (REQUIRES: every other holder of engine_vfs is gone) and the gate,
  // then flushes and closes the audit log.
  ~Services();
};

// The accounts `dbvault init` creates (docs/server.md, "Accounts").
struct InitialAccount {
  std::string name;
  SecretString password;
};

// The key scope of the engine database (the default tablespace), and who holds its key: the
// server itself (session id 0, which no client session has), from start to shutdown.
crypto::KeyScope engine_key_scope();
inline constexpr std::uint64_t kServerKeySession = 0;
inline constexpr const char* kServerKeyUser = "dbvault";

struct OpenMode {
  bool create = false;  // init: make the key store, audit key, engine TEK, policy store
  std::vector<InitialAccount> accounts;  // init only: dba, secadmin, auditor
};

// REQUIRES: `clock` outlives the result; `dir.root` exists.
Result<std::unique_ptr<Services>> open_services(const DataDir& dir, const ServerConfig& config,
                                                const Clock& clock, OpenMode mode);

// Once the engine is open: tablespace keys are released to sessions the vault admits
// (vault::KeyAuthorizer over the engine's tablespace catalog; withdrawn on LOCK REALM and
// every policy change), the server holds every tablespace key to create and drop the files,
// and CREATE / DROP TABLESPACE / ALTER TABLESPACE ... ROTATE ENCRYPTION KEY are carried out on
// `engine` (Vault::set_tablespace_host), as are BACKUP and RESTORE DATABASE
// (Vault::set_backup_host); rotations a crash or shutdown interrupted resume.
// REQUIRES: `engine` outlives every session and `services.rotations`; ~Services detaches it
// from the vault.
Status attach_tablespaces(Services& services, storage::Engine& engine);

// The server's own key ring for `scope`: every live version, released to the server
// (session 0) through the gate (each audited as key_access once).
Result<std::shared_ptr<const storage::vfs::PageKey>> server_key_ring(crypto::KeyGate& gate,
                                                                     const crypto::KeyScope& scope);

}  // namespace dbvault::server
