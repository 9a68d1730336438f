// A consistent copy of one data directory's stores, the content of a backup
// (docs/encryption.md §10.3): each SQLite store copied by SQLite's online backup API inside one
// read transaction (so each file is a snapshot of a committed state, whatever sessions write
// meanwhile), the encrypted ones through their own TdeVfs (so the copy is sealed as the
// original: the staging directory never holds a plaintext page of the engine or a tablespace),
// and the audit store under its writer's lock.
//
// Across files, in this order:
//   1. the TEK version of every tablespace is noted (each copy is then read and sealed under
//      exactly that version, which the key store copy must hold: a version destroyed meanwhile
//      fails the backup rather than making a copy nobody can read);
//   2. keys/keys.db;  3. policy.db;  4. data/main.db and every tablespace file;
//   5. the audit store, last: it holds every record of what the copies hold (the backup's own
//      data_export request and key_access records included);
//   6. dbvault.conf and tls/.
// REQUIRES of the caller: no policy version commits between 3 and 5 (the vault's change lock,
// or a stopped server), so that the policy store's audit anchor and the audit log agree. Rows
// written to two tablespaces by one transaction may be in one copy and not the other (SQLite
// commits across attached files are not atomic in WAL mode either).
//
// The master key file (keys/master*.key of the `file` provider) is never copied: a backup must
// be useless without the master key.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "server/runtime/services.h"
#include "storage/tablespace_catalog.h"

namespace dbvault::server {

struct SnapshotFile {
  std::string entry;           // the path inside the data directory, '/'-separated
  std::filesystem::path file;  // the copy in the staging directory
};

// Copies the stores of `s.dir` into `staging` (created 0700; REQUIRES: it does not exist and
// its parent does) and lists the copies, sorted. On error `staging` may hold partial copies:
// the caller removes it. 58000 / XX001 as the stores report; 58030 on I/O errors.
Result<std::vector<SnapshotFile>> snapshot_stores(Services& s,
                                                  const storage::TablespaceCatalog& tablespaces,
                                                  const std::filesystem::path& staging);

}  // namespace dbvault::server
