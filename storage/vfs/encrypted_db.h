// Opening an SQLite database encrypted by a TdeVfs (tde_vfs.h), and translating its failures.
//
// open_encrypted() is the one way in: it creates a new file mode 0600 with the reserved bytes
// the page format needs (SQLITE_FCNTL_RESERVE_BYTES before the first page is written), sets
// what every connection through the VFS requires (configure_connection), and proves the key
// by reading the schema before it hands the connection out.
//
// Errors (docs/encryption.md, "Errors"):
//   58000  the key does not open the file (wrong key, a file that is not encrypted, another
//          algorithm, an expired key), or the key could not be used
//   XX001  a page, journal record or WAL frame failed authentication (integrity error)
//   58030  any other I/O failure
// Thread-safety: as SQLite's; a connection is used by one thread at a time.
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <string_view>

#include "common/result.h"
#include "storage/vfs/tde_vfs.h"

namespace dbvault::storage::vfs {

// The settings configure_connection applies to every connection through the VFS (a plain
// connection compared with an encrypted one, as in bench/tde_bench, applies them too).
inline constexpr const char* kConnectionPragmas =
    "PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 0; PRAGMA synchronous = FULL;";

// The page cache of a connection open_encrypted makes, in KiB (SQLite's default is 2000):
// every page read from the file costs one AEAD decryption (about 1 us per 4 KiB page with
// AES-NI), a page found in the cache costs nothing. SQLite allocates the cache as pages are
// used, so this is a ceiling per connection, not memory taken at open (docs/encryption.md §7).
inline constexpr int kDefaultCacheKib = 32768;

struct EncryptedOpenOptions {
  bool create = true;  // create the file if missing (else 58030)
  // SQLITE_OPEN_READONLY (never creates; the journal mode is left as the file has it). The
  // key is still proven by reading the schema.
  bool read_only = false;
  bool wal = true;  // journal_mode = WAL; false: DELETE (a rollback journal)
  int busy_timeout_ms = 5000;
  int cache_kib = kDefaultCacheKib;  // PRAGMA cache_size = -cache_kib
  int flags = SQLITE_OPEN_NOMUTEX;   // added to READWRITE (| CREATE)
};

struct CloseDatabase {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DatabasePtr = std::unique_ptr<sqlite3, CloseDatabase>;

// REQUIRES: `vfs` outlives the connection.
Result<DatabasePtr> open_encrypted(const std::filesystem::path& path, TdeVfs& vfs,
                                   const EncryptedOpenOptions& options = {});

// temp_store = MEMORY (Debian builds SQLite with SQLITE_TEMP_STORE=1: temporary files would
// otherwise reach the disk, and the VFS refuses them), mmap_size = 0, and synchronous = FULL
// (each commit syncs the WAL, which is when the WAL state record marks the WAL as holding
// commits: a WAL deleted after that is detected). For a connection that uses the VFS without
// open_encrypted (e.g. one that ATTACHes an encrypted file). `pace_checkpoints`: installs the
// paced automatic checkpoint (checkpoint_pacing.h); false leaves the connection's WAL hook
// alone (the engine's connections, whose checkpoints run on a background thread).
// Errors as tde_error.
Status configure_connection(sqlite3* db, const TdeVfs& vfs, bool pace_checkpoints = true);

// The dbvault error for SQLite result `rc` (extended codes) on `db`, opened through `vfs`.
Error tde_error(const TdeVfs& vfs, sqlite3* db, int rc, std::string_view what);

}  // namespace dbvault::storage::vfs
