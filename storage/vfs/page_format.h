// The on-disk format of an encrypted dbvault database, version 2 (docs/encryption.md, "Page
// and file format"). Pure layout: no I/O, no keys. Version 2 adds the page's write epoch to
// the associated data of a main-file page (page_versions.h); version-1 files are refused.
//
// Every page image (main database, rollback journal, WAL frame) ends with a trailer in the
// page's reserved bytes, which SQLite leaves to the VFS when the database is created with
// kReservedBytes reserved bytes per page:
//   key version (4, big-endian) || nonce (12) || tag (16)
// The rest of the page is AEAD ciphertext, except bytes [0, kRawHeaderSize) of page 1 of the
// main database file, which SQLite reads before any page can be decrypted:
//   [0, 16)   dbvault file header (FileHeader), written over SQLite's "SQLite format 3\0"
//   [16, 24)  SQLite's page size, file format versions, reserved-byte count, payload fractions
// Those 24 bytes are authenticated (they are part of page 1's associated data).
//
// Thread-safety: constants and value types only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "crypto/aead.h"

namespace dbvault::storage::vfs {

inline constexpr std::uint8_t kFormatVersion = 2;
inline constexpr std::size_t kKeyVersionSize = 4;
inline constexpr std::size_t kReservedBytes =
    kKeyVersionSize + crypto::kAeadNonceSize + crypto::kAeadTagSize;  // 32
inline constexpr std::size_t kFileHeaderSize = 16;
inline constexpr std::size_t kRawHeaderSize = 24;
inline constexpr std::size_t kFileIdSize = 8;
// SQLite's own magic, restored in place of the FileHeader when page 1 is read.
inline constexpr std::array<std::uint8_t, kFileHeaderSize> kSqliteMagic = {
    'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f', 'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};
inline constexpr std::size_t kSqliteReserveOffset = 20;  // in SQLite's database header

using FileId = std::array<std::uint8_t, kFileIdSize>;

// Bytes [0, 16) of an encrypted database file:
//   "DBVT" || format version (2) || algorithm (1) || reserved bytes (1) || flags (0) || file id (8)
// The file id is random, drawn when the file is created; every page of the file, of its WAL and
// of its journal is bound to it.
struct FileHeader {
  crypto::AeadAlgorithm algorithm = crypto::AeadAlgorithm::kAes256Gcm;
  FileId file_id{};

  void encode(std::span<std::uint8_t, kFileHeaderSize> out) const;
  // nullopt unless `in` is a version-2 header with a known algorithm and kReservedBytes.
  static std::optional<FileHeader> decode(std::span<const std::uint8_t, kFileHeaderSize> in);
  // True if `in` starts with "DBVT" (whatever the version): an encrypted dbvault file.
  static bool has_magic(std::span<const std::uint8_t> in);
};

// Where a page image lives: its kind and position are part of its associated data, so an image
// moved to another page, another offset, another file kind or another file fails to decrypt.
enum class PageKind : std::uint8_t { kDatabase = 'D', kJournal = 'J', kWal = 'W' };

struct PagePlace {
  PageKind kind = PageKind::kDatabase;
  std::uint32_t page_number = 0;  // the database page the image holds
  std::uint64_t position = 0;     // journal: byte offset of the image; WAL: frame index
  // Up to kBoundSize more bytes bound to the image: page 1 of the main file, its raw header;
  // a WAL frame, its whole frame header (page number, commit size, salts, plaintext checksum).
  std::span<const std::uint8_t> bound;
  // Main file: the write epoch the page was sealed in (page_versions.h); 0 for WAL and journal.
  std::uint64_t epoch = 0;
};

inline constexpr std::size_t kBoundSize = 24;

// The associated data of one page image: file id || kind || page number || key version ||
// position || epoch || bound bytes.
class PageAad {
 public:
  static constexpr std::size_t kFixedSize = kFileIdSize + 1 + 4 + 4 + 8 + 8;
  PageAad(const FileId& file_id, const PagePlace& place, std::uint32_t key_version);
  std::span<const std::uint8_t> bytes() const { return {bytes_.data(), size_}; }

 private:
  std::array<std::uint8_t, kFixedSize + kBoundSize> bytes_{};
  std::size_t size_ = 0;
};

void store_be32(std::uint8_t* out, std::uint32_t value);
std::uint32_t load_be32(const std::uint8_t* in);

// SQLite's page size field (bytes 16-17 of the database header; 1 means 65536), or 0 if invalid.
std::uint32_t sqlite_page_size(std::span<const std::uint8_t> header);

}  // namespace dbvault::storage::vfs
