// FileReencryption: re-encrypts one encrypted database file, online, to the version its
// TdeVfs seals under — the data step of a TEK rotation (crypto::ReencryptStep; format and
// procedure: docs/encryption.md §12).
//
// Why VACUUM: the system libsqlite3 (Debian's 3.40) has no sqlite_dbpage table, so nothing
// outside SQLite can make it rewrite a page, and a page rewritten in the file behind SQLite's
// back could be read torn by another connection. VACUUM makes SQLite itself write every page of
// the database, through the pager, into the WAL under the sealing version; a TRUNCATE
// checkpoint then copies them into the main file and empties the WAL (the WAL state record and
// the page version table are written again under the sealing version on the way). Readers go
// on meanwhile (WAL mode); writers wait for the VACUUM's write lock (their busy timeout).
//
// A step: VACUUM, checkpoint (TRUNCATE, retried while readers hold the WAL), then a census of
// the page trailers (raw, nothing decrypted): done = pages sealed under the target version.
// A page still under an older version (a connection whose cipher was older wrote it) makes the
// next step VACUUM again. Done only after the proof: the file opens and passes PRAGMA
// quick_check under the target version alone (a VFS of its own), WAL state record and page
// version table included — so an older version is destroyed only when nothing needs it.
//
// Re-encrypting twice is harmless, so a step interrupted by a crash is simply run again.
//
// Thread-safety: one FileReencryption per thread; `db` is used by no other thread meanwhile.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "common/result.h"
#include "crypto/tek_store.h"
#include "storage/vfs/page_key.h"

namespace dbvault::storage {

struct PageCensus {
  std::uint64_t total = 0;    // pages in the main file
  std::uint64_t current = 0;  // of them, sealed under the version asked about
};

// Reads the trailer of every page of the main file `file` (page size from its header).
// 58030 if it cannot be read; XX001 if it is not an encrypted dbvault file.
Result<PageCensus> census(const std::filesystem::path& file, std::uint32_t version);

struct ReencryptOptions {
  std::string schema = "main";           // the file's schema on the connection
  int checkpoint_attempts = 50;          // TRUNCATE checkpoints tried per step
  int checkpoint_busy_timeout_ms = 200;  // each waits this long for readers
  int vacuum_busy_timeout_ms = 30000;    // VACUUM waits this long for writers
  // (the connection's busy timeout is left at the last of these)
};

class FileReencryption {
 public:
  // REQUIRES: `db` is a read-write connection on which `options.schema` is `file`, opened
  // through a TdeVfs whose key ring holds every version the file's pages are sealed under and
  // seals under `target`'s version; `target` is that version alone (for the proof). Both
  // outlive this object.
  FileReencryption(sqlite3* db, std::filesystem::path file,
                   std::shared_ptr<const vfs::PageKey> target, ReencryptOptions options = {});

  // One step (above). Progress in pages; done == total only once the proof passed. Errors:
  // 55000 the checkpoint could not complete (readers kept the WAL; the step can be run again),
  // the VFS's errors (XX001, 58000) otherwise. On error nothing older was lost: every page is
  // under a version of the ring.
  Result<crypto::RotationProgress> step();

 private:
  Status vacuum();
  Status checkpoint();
  Status prove() const;

  sqlite3* db_;
  std::filesystem::path file_;
  std::shared_ptr<const vfs::PageKey> target_;
  ReencryptOptions options_;
};

}  // namespace dbvault::storage
