// Shared by the storage_vfs suites: a temporary directory, a random key and a TdeVfs over it,
// helpers to run SQL on a raw connection, to copy and damage files, and to scan files for
// plaintext markers.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "crypto/aead.h"
#include "crypto/secret_bytes.h"
#include "storage/vfs/encrypted_db.h"
#include "storage/vfs/tde_vfs.h"
#include "tests/support/temp_dir.h"

namespace dbvault::storage::vfs::test {

crypto::SecretBytes random_tek();
std::unique_ptr<TdeVfs> make_vfs(
    const crypto::SecretBytes& key,
    crypto::AeadAlgorithm algorithm = crypto::AeadAlgorithm::kAes256Gcm);

// Runs `sql` (no rows expected); fails the test on error.
void exec(sqlite3* db, const std::string& sql);
// Runs `sql`; returns SQLITE_OK or the extended error code.
int try_exec(sqlite3* db, const std::string& sql);
// The first column of every row, as text.
std::vector<std::string> column(sqlite3* db, const std::string& sql);

// Keeps the WAL on disk when the last connection closes (no checkpoint).
void keep_wal(sqlite3* db);

std::vector<std::uint8_t> read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes);
// Copies `db` and its companions (-wal, -journal, -tde, -tdv: those that
// exist) to the same names
// under `to`.
void copy_database(const std::filesystem::path& db, const std::filesystem::path& to);
// Removes `db` and its companions (-wal, -shm, -journal, -tde, -tdv).
void remove_database(const std::filesystem::path& db);

// Every marker found in any file under `dir`, in plain, UTF-16 (LE, BE) or hex (lower, upper)
// form; each as "<file>: <form> <marker>".
std::vector<std::string> find_markers(const std::filesystem::path& dir,
                                      const std::vector<std::string>& markers);

struct VfsFixture {
  VfsFixture();
  std::filesystem::path db_path() const { return dir.path() / "ts.db"; }
  DatabasePtr open(bool wal = true);

  dbvault::test::TempDir dir{"vfs"};
  crypto::SecretBytes key;
  std::unique_ptr<TdeVfs> vfs;
};

}  // namespace dbvault::storage::vfs::test
