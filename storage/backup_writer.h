// BackupWriter: writes one encrypted backup file (format: storage/backup_format.h,
// docs/encryption.md §10) from a sequence of files, streaming, one chunk in memory at a time.
//
// The file is written to a temporary name next to the target (`<target>.tmp-<random>`, 0600),
// fsync'ed, linked to the target name only if that name is still free, and the directory
// fsync'ed: a reader never sees a partial backup under the target name, and an existing file
// is never replaced. An unfinished writer (error, or destroyed before finish()) removes its
// temporary file.
//
// Errors: 22023 bad options (relative target, empty password, bad path of an entry); 42710 the
// target exists; 58000 the MEK cannot wrap the data key, or the KDF fails; 58030 I/O.
// Thread-safety: one thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "storage/backup_format.h"

namespace dbvault::storage::backup {

struct WriterOptions {
  std::filesystem::path target;                  // absolute; must not exist
  crypto::MasterKeyProvider* mek = nullptr;      // REQUIRED: wraps the backup's data key
  SecretString password;                         // REQUIRED, non-empty: the restore password
  crypto::Argon2Params argon2;                   // stretches the password
  std::int64_t created_unix = 0;                 // recorded in the header
  std::uint32_t chunk_size = kDefaultChunkSize;  // 1 .. kMaxChunkSize
};

struct BackupSummary {
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;  // plaintext bytes of the files
  std::uint64_t chunks = 0;
  std::string backup_id_hex;
};

// 22023 unless `p` is a relative path of non-empty components, none "." or "..", with '/'
// separators only (what a backup may hold, and what a restore may write).
Status validate_entry_path(const std::string& p);

class BackupWriter {
 public:
  static Result<std::unique_ptr<BackupWriter>> create(WriterOptions options);
  ~BackupWriter();
  BackupWriter(const BackupWriter&) = delete;
  BackupWriter& operator=(const BackupWriter&) = delete;

  // Adds the file at `source` as `entry` (validate_entry_path), with permission bits `mode`.
  // 58030 if the file cannot be read or changes size while it is read.
  Status add_file(const std::string& entry, std::uint32_t mode,
                  const std::filesystem::path& source);
  // Adds `bytes` as the file `entry`.
  Status add_bytes(const std::string& entry, std::uint32_t mode,
                   std::span<const std::uint8_t> bytes);
  // Writes the end record and the final chunk, syncs and publishes the file under the target
  // name. After an error nothing is left under either name.
  Result<BackupSummary> finish();

 private:
  BackupWriter() = default;
  Status begin_entry(const std::string& entry, std::uint32_t mode, std::uint64_t size);
  Status append(std::span<const std::uint8_t> bytes);  // seals each full chunk
  Status seal_chunk(bool final_chunk);
  Status write_all(std::span<const std::uint8_t> bytes);
  void abandon();

  WriterOptions options_;
  Header header_;
  Keys keys_;
  std::filesystem::path temp_;
  int fd_ = -1;
  bool failed_ = false;
  std::vector<std::uint8_t> buffer_;
  BackupSummary summary_;
};

}  // namespace dbvault::storage::backup
