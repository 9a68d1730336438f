// The `file` master-key provider: the MEK in a key file inside the data directory
// (keys/master.key), the default of `dbvault init` on a laptop. Anyone who can read the file
// and a backup together can read the data, so it logs a warning: production uses env or pkcs11.
//
// File format (text, version 1), exactly three lines:
//   dbvault-master-key v1
//   id <key id>
//   key <64 hex characters>
//
// Refused with 58000: a missing file, a symlink, not a regular file, any group/other permission
// bit (mode must be 0600 or 0400), an owner other than the server's user, a malformed file.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "common/result.h"
#include "crypto/master_key_provider.h"

namespace dbvault::crypto {

// Opens an existing key file. Logs a warning (path only) that this provider is for development.
Result<std::unique_ptr<MasterKeyProvider>> open_file_provider(const std::filesystem::path& path);

// Creates `path` (mode 0600, must not exist) with a fresh random MEK named `key_id`, and returns
// the provider holding it. On error nothing is left behind. 42710 if the file already exists.
Result<std::unique_ptr<MasterKeyProvider>> create_file_provider(const std::filesystem::path& path,
                                                                const std::string& key_id);

}  // namespace dbvault::crypto
