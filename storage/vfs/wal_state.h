// The WAL state record, "<database>-tde": what the VFS knows about the database's WAL, so that
// a WAL deleted or replaced while it held commits is an integrity error instead of a silent
// loss (SQLite itself treats a missing WAL as "nothing to recover").
//
// Layout (72 bytes): "DBVTWAL1" || file id (8) || phase (1) || zeros (7) || salts (8) ||
// previous generation's salts (8) || HMAC-SHA256 (32) under a subkey of the TEK over the first
// 40 bytes.
// Phases (docs/encryption.md, "The WAL state record"):
//   clean    the WAL holds nothing the main file lacks: it was checkpointed and deleted or
//            truncated; `salts` are its last generation's (a WAL still carrying them is harmless)
//   pending  a new WAL generation (`salts`) is starting; no commit of it is known durable yet
//            (the WAL may still carry `previous`, fully checkpointed)
//   in_use   a commit of generation `salts` was synced: that WAL must be present and current
// The record is created when page 1 first says "WAL mode"; afterwards a database in WAL mode
// without its record is refused.
//
// Thread-safety: stateless functions; the file is written by the connection holding SQLite's
// WAL write lock (or its exclusive lock, when it deletes or truncates the WAL).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "storage/vfs/page_format.h"
#include "storage/vfs/page_key.h"

namespace dbvault::storage::vfs {

enum class WalPhase : std::uint8_t { kClean = 0, kPending = 1, kInUse = 2 };

struct WalState {
  WalPhase phase = WalPhase::kClean;
  std::array<std::uint8_t, 8> salts{};
  std::array<std::uint8_t, 8> previous{};
};

std::string wal_state_path(const std::string& database);
bool wal_state_exists(const std::string& database);
// nullopt if the record does not exist; XX001 if it was altered, truncated or belongs to another
// file; 58030 if it cannot be read.
Result<std::optional<WalState>> read_wal_state(const std::string& database, const FileId& id,
                                               const PageCipher& cipher);
// Replaces the record durably and atomically (a temporary file, fdatasync, rename, directory
// sync): a concurrent reader sees the old record or the new one.
// 58030 on failure (nothing is known about what reached the disk).
Status write_wal_state(const std::string& database, const FileId& id, const PageCipher& cipher,
                       const WalState& state);

// Replaces the file `path` with `bytes` durably and atomically (a temporary file, fdatasync,
// rename, directory sync). 58030 naming `what` on failure (nothing is known about what
// reached the disk). Shared by the WAL state record and the page version table.
// `sync_directory` false skips the directory sync: the new content is complete on disk before
// the rename, but after a system crash the file may still hold its previous content. Only for
// a write whose previous content is a safe state to come back to (page_versions.h).
Status replace_file_durably(const std::string& path, std::span<const std::uint8_t> bytes,
                            std::string_view what, bool sync_directory = true);

// True if `header` is a WAL header SQLite accepts (magic, version, page size, checksum).
bool wal_header_valid(std::span<const std::uint8_t> header);

}  // namespace dbvault::storage::vfs
