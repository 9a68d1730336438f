// Reading an encrypted backup file (format: storage/backup_format.h, docs/encryption.md §10):
// its header, and the restore of its files into a new directory.
//
// restore_files() authenticates every chunk before its bytes are written, checks that the
// chunks come in order, that the last one is marked final and that nothing follows it, and
// writes the files into `target` only (entry paths are validated: no absolute path, no `..`).
// On any failure the directory it created is removed with everything in it: nothing
// half-restored is left behind.
//
// Errors: 58000 the master key is not the one the header names, or does not unwrap the data
// key (another MEK); 28P01 wrong restore password; XX001 a flipped byte, a truncated, reordered,
// spliced or extended file (integrity error); 0A000 another format version; 42710 `target`
// exists; 58030 I/O. Thread-safety: stateless.
#pragma once

#include <filesystem>
#include <functional>

#include "storage/backup_format.h"

namespace dbvault::storage::backup {

// The header of the backup at `path`, unauthenticated (for choosing the master key: key id
// and provider kind). XX001 / 0A000 as parse(); 58030 when unreadable.
Result<Header> read_header(const std::filesystem::path& path);

struct RestoreSummary {
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
  std::uint64_t chunks = 0;
};

// Restores the backup at `path` into the new directory `target` (created 0700; its parent must
// exist). `mek` must hold the key the header names.
Result<RestoreSummary> restore_files(const std::filesystem::path& path,
                                     crypto::MasterKeyProvider& mek, const SecretString& password,
                                     const std::filesystem::path& target);

}  // namespace dbvault::storage::backup
