// PolicyConnector: how the vault opens its policy store's SQLite connection, so that a host can
// keep policy.db encrypted at rest without vault/ depending on the host's encryption layer
// (the server passes one that opens the file through its encrypting VFS, docs/encryption.md
// "The policy store and the key store"; a null connector opens a plain SQLite file).
//
// Contract of a connector: given the store's path, it returns a connection to it (creating the
// file, mode 0600, when missing), already proven to be readable (a wrong or missing key is
// 58000 with a message naming the file, never a connection that returns garbage), in WAL mode,
// with synchronous=FULL and foreign keys on (sqlite::Database::adopt applies those).
// Thread-safety: called once per open, from the thread that opens the store.
#pragma once

#include <filesystem>
#include <functional>

#include "common/result.h"
#include "common/sqlite_db.h"

namespace dbvault::vault {

using PolicyConnector = std::function<Result<sqlite::Database>(const std::filesystem::path&)>;

}  // namespace dbvault::vault
