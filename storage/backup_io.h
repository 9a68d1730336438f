// The file-system steps of writing and restoring a backup, each failing closed: temporary
// files created exclusively (0600) beside their target, published by link() so that an
// existing name is never replaced, everything fsync'ed with its directory.
// Errors: 42710 the target exists; 58030 any other I/O failure (the message names the path).
// Thread-safety: stateless.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>

#include "common/result.h"

namespace dbvault::storage::backup {

// 42710 when `target` exists (a file, a directory, a dangling link): a backup or a restore
// never writes over anything.
Status refuse_existing(const std::filesystem::path& target);

struct TempFile {
  std::filesystem::path path;
  int fd = -1;
};
// `<target>.tmp-<16 random hex>`, created O_EXCL | O_NOFOLLOW, mode 0600.
Result<TempFile> create_temp_beside(const std::filesystem::path& target);

// Writes all of `bytes` to `fd` (58030 naming `path` on failure).
Status write_fd(int fd, std::span<const std::uint8_t> bytes, const std::filesystem::path& path);

// fsync(fd), close(fd), link(temp, target) (42710 if the target appeared meanwhile), unlink
// temp, fsync the directory. On error the temporary file is left to the caller to remove and
// `fd` is closed.
Status publish_temp(int fd, const std::filesystem::path& temp, const std::filesystem::path& target);

// fsync of a directory (58030 on failure).
Status sync_directory(const std::filesystem::path& dir);

}  // namespace dbvault::storage::backup
