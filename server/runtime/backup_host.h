// BACKUP DATABASE / RESTORE DATABASE for a server (vault::BackupHost), and the two steps that
// `dbvault backup` and `dbvault restore` share with them (docs/encryption.md §10,
// docs/server.md "Backup and restore").
//
// write_backup: the target must be an absolute path outside the data directory whose directory
// exists and whose name is free (22023 / 42710); KEY must be the data directory's current master
// key (22023). The stores are copied (backup_snapshot.h) into a staging directory *inside* the
// data directory (so the copies never sit elsewhere, not even sealed), packed into the encrypted
// file, and the staging directory removed whatever happens.
//
// restore_backup: restores into `<target>.restoring-<random>` beside the target (never over
// anything: 42710 if the target exists), places the master key file when the backup's key is a
// `file` key, then opens the restored directory as `dbvault serve` would — master key, key
// store, audit log and its anchors against the policy store, the engine database, the vault —
// verifies the whole audit chain (XX001 when it does not), records the restore in the restored
// audit log (data_export, operation restore), closes it and renames it to the target. On any
// error the restoring directory is removed: nothing half-restored is left.
#pragma once

#include <filesystem>
#include <memory>

#include "server/runtime/config.h"
#include "server/runtime/services.h"
#include "storage/tablespace_catalog.h"
#include "vault/vault.h"

namespace dbvault::storage {
class Engine;
}

namespace dbvault::server {

struct BackupRequest {
  std::filesystem::path target;
  std::string key_id;     // empty: the current master key
  SecretString password;  // empty: a random restore password is made (returned once)
  crypto::Argon2Params argon2;
};

Result<vault::BackupOutcome> write_backup(Services& s,
                                          const storage::TablespaceCatalog& tablespaces,
                                          BackupRequest request);

struct RestoreRequest {
  std::filesystem::path from;
  std::filesystem::path target;  // the new data directory
  std::string key_id;            // empty: the header's; otherwise must be the header's (58000)
  SecretString password;
  std::shared_ptr<crypto::MasterKeyProvider> mek;  // REQUIRED: holds the backup's key
  std::filesystem::path key_file;  // the `file` provider's key file, copied into keys/
  vault::BackupActor actor;        // recorded in the restored audit log
};

Result<vault::RestoreOutcome> restore_backup(const RestoreRequest& request, const Clock& clock);

// The vault's BACKUP / RESTORE DATABASE on `services` (whose current master key decrypts a
// RESTORE, into `<path>.restored`). REQUIRES: both outlive the result.
std::unique_ptr<vault::BackupHost> make_backup_host(Services& services,
                                                    const storage::Engine& engine);

}  // namespace dbvault::server
