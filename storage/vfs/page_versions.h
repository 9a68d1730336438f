// The page version table, "<database>-tdv": for each page of the main database file, the write
// epoch it was last sealed under (format version 2, docs/encryption.md §3.6). The epoch is part
// of the page's associated data, so an older copy of a page put back at its own position fails
// authentication: it was sealed under an older epoch than the table records.
//
// Layout: "DBVTPVT2" || file id (8) || committed epoch (8) || pending epoch (8, 0: none) ||
//   page count n (4) || zeros (4) || n x epoch (8 each, big-endian; 0: never written) ||
//   HMAC-SHA256 (32) under the TEK's state subkey over everything before it.
// An epoch is the set of page writes between two syncs of the main file (a checkpoint, or a
// commit in rollback-journal mode). Before its first page write the table is rewritten with
// `pending` = the new epoch; after the main file was synced, with the epoch's pages recorded
// and `pending` = 0. A page is accepted under its recorded epoch or the pending one (a crash,
// or another connection's checkpoint, may have left pages of the pending epoch on disk).
//
// Thread-safety: value type and stateless functions; the in-memory table of an open database is
// guarded by FileIdentity::versions_mu.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "storage/vfs/page_format.h"
#include "storage/vfs/page_key.h"

namespace dbvault::storage::vfs {

struct PageVersions {
  std::uint64_t committed = 0;        // the last epoch whose pages are recorded
  std::uint64_t pending = 0;          // an epoch begun and not recorded yet (0: none)
  std::vector<std::uint64_t> epochs;  // epochs[pgno - 1]

  std::uint64_t epoch_of(std::uint32_t pgno) const {
    return pgno >= 1 && pgno <= epochs.size() ? epochs[pgno - 1] : 0;
  }
  // The epoch the next write epoch gets: above every epoch any page may carry.
  std::uint64_t next_epoch() const { return std::max(committed, pending) + 1; }
};

std::string page_versions_path(const std::string& database);
bool page_versions_exist(const std::string& database);
// nullopt if the table does not exist; XX001 if it was altered, truncated or belongs to
// another file; 58030 if it cannot be read. `authenticated` false: the tag is not checked
// (only to tell a wrong key from an altered table, never to read pages by).
Result<std::optional<PageVersions>> read_page_versions(const std::string& database,
                                                       const FileId& id, const PageCipher& cipher,
                                                       bool authenticated = true);
// Replaces the table atomically (replace_file_durably). 58030 on failure. `sync_directory`
// false: only when the table replaced has this one's epoch pending, so that a system crash
// that undoes the rename leaves that pending state, which the next writer resolves
// (docs/encryption.md §3.6); a table beginning an epoch is always synced.
Status write_page_versions(const std::string& database, const FileId& id, const PageCipher& cipher,
                           const PageVersions& versions, bool sync_directory = true);

}  // namespace dbvault::storage::vfs
