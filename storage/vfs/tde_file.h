// Internal to storage/vfs: one file opened through a TdeVfs, and the read/write paths of each
// kind of file (main database: tde_file.cpp, rollback journal: journal_file.cpp, WAL:
// wal_file.cpp). Every path returns an SQLite result code; an unauthenticated page is
// SQLITE_IOERR_DATA with the reason recorded in the TdeVfs.
#pragma once

#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "storage/vfs/page_key.h"
#include "storage/vfs/tde_vfs.h"
#include "storage/vfs/wal_state.h"

namespace dbvault::storage::vfs::internal {

enum class FileRole { kMain, kJournal, kWal, kPlain };

inline constexpr std::size_t kWalHeaderSize = 32;
inline constexpr std::size_t kFrameHeaderSize = 24;

struct TdeFile {
  TdeVfs* vfs = nullptr;
  FileRole role = FileRole::kPlain;
  std::string path;
  sqlite3_file* real = nullptr;  // the default VFS's file, opened
  std::shared_ptr<FileIdentity> identity;
  std::optional<PageCipher> cipher;
  std::uint64_t key_generation = 0;   // the TdeVfs key generation `cipher` was made from
  std::vector<std::uint8_t> scratch;  // one page (+ a frame header): no allocation per page

  // Main file: the write epoch this connection has begun (0: none) and the pages it wrote in it
  // (main_versions.cpp).
  std::uint64_t epoch = 0;
  std::vector<std::uint32_t> epoch_pages;

  // WAL: a new frame's header, held until its page arrives so that both reach the file in one
  // write (a crash never leaves a current header over a stale page).
  struct PendingHeader {
    sqlite3_int64 offset = 0;
    std::array<std::uint8_t, kFrameHeaderSize> bytes{};
  };
  std::optional<PendingHeader> pending;
  // The last whole frame read and its plaintext: SQLite may rewrite that frame's checksum next,
  // and the image, bound to its header, is then sealed again.
  sqlite3_int64 last_frame_read = -1;
  std::vector<std::uint8_t> last_frame_plain;
  std::uint32_t wal_page_size = 0;

  // WAL: the database's name, and the generation whose header this file wrote and whose first
  // sync it awaits (wal_guard.cpp).
  std::string db_path;
  std::optional<WalState> unsynced_generation;

  // Journal: the last 4-byte write (a record's page number precedes its page image).
  sqlite3_int64 last_small_offset = -1;
  std::uint32_t last_small_value = 0;
  // Journal: an image held until its record's checksum arrives (both are written in one call),
  // and the checksum of the record last read (SQLite reads it next, where the image ends).
  struct PendingImage {
    sqlite3_int64 offset = 0;
    std::uint32_t page_number = 0;
    std::vector<std::uint8_t> plain;
  };
  std::optional<PendingImage> pending_image;
  sqlite3_int64 last_image_end = -1;
  std::array<std::uint8_t, 4> last_checksum{};

  int read_real(void* buf, int amt, sqlite3_int64 off) const {
    return real->pMethods->xRead(real, buf, amt, off);
  }
  int write_real(const void* buf, int amt, sqlite3_int64 off) const {
    return real->pMethods->xWrite(real, buf, amt, off);
  }
  // Records `what` (prefixed with the file's path) and returns `rc`. `key_failure`: page 1 of
  // the main file did not authenticate (most likely the wrong key).
  int fail(int rc, const std::string& what, bool key_failure = false) const;
  std::span<std::uint8_t> scratch_of(std::size_t size);
};

// Takes a cipher of the VFS's current key if another one was installed since `f.cipher` was
// made (TdeVfs::install_key: a key rotation). SQLite result code (SQLITE_IOERR without a key).
int refresh_cipher(TdeFile& f);

// Reads `amt` bytes at `off` fully: SQLITE_OK, SQLITE_IOERR_SHORT_READ (zero-filled) or an error.
int read_exact(const TdeFile& f, std::span<std::uint8_t> out, sqlite3_int64 off);

int main_read(TdeFile& f, void* buf, int amt, sqlite3_int64 off);
int main_write(TdeFile& f, const void* buf, int amt, sqlite3_int64 off);
int journal_read(TdeFile& f, void* buf, int amt, sqlite3_int64 off);
int journal_write(TdeFile& f, const void* buf, int amt, sqlite3_int64 off);
int wal_read(TdeFile& f, void* buf, int amt, sqlite3_int64 off);
int wal_write(TdeFile& f, const void* buf, int amt, sqlite3_int64 off);
// Writes a held frame header (see PendingHeader). Called before any other operation on the WAL.
int wal_flush(TdeFile& f);
// Writes a held journal image (see PendingImage). Called before any other journal operation.
int journal_flush(TdeFile& f);

// The WAL state guard (wal_guard.cpp): checks at open, transitions before and after the events
// they announce. SQLite result codes (SQLITE_CORRUPT for a WAL that does not match its record).
int wal_guard_open(TdeFile& f);
int wal_guard_new_generation(TdeFile& f, std::span<const std::uint8_t> wal_header);
int wal_guard_synced(TdeFile& f);
int wal_guard_page1(TdeFile& f, std::span<const std::uint8_t> page1);
Status wal_guard_clean(const std::string& db_path, const FileIdentity& identity,
                       const PageCipher& cipher);

// The page version table of the main file (main_versions.cpp, page_versions.h).
// Loads it when the file opens (XX001: missing next to a non-empty file, altered, another file's).
int versions_load(TdeFile& f, sqlite3_int64 file_size);
// Opens main-file page `pgno` (read from the file into `page`) under its recorded epoch, else
// the pending one, else, after reloading the table (another process may have checkpointed),
// under those. False if none authenticates (the page is zeroed).
bool versions_open(TdeFile& f, std::span<std::uint8_t> page, std::uint32_t pgno, std::size_t raw);
// The epoch a page write is sealed in; begins one (durably recorded as pending) if this
// connection has none open. SQLite result code.
int versions_begin(TdeFile& f, std::uint64_t& epoch);
// Records the epoch's pages once they are durable: after SQLite synced the main file
// (`synced`), else after syncing it here. Nothing to do without an open epoch.
int versions_commit(TdeFile& f, bool synced);

// xOpen of TdeVfs; the size SQLite must allocate per file.
int open_file(TdeVfs& vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags);
int file_handle_size(const sqlite3_vfs* root);
// True (and the failure recorded) if `path` names a symbolic link (lstat): the VFS opens
// databases, WALs and journals only as files.
bool refuse_symlink(const TdeVfs& vfs, const char* path);

}  // namespace dbvault::storage::vfs::internal
