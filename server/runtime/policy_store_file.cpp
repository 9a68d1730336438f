#include "server/runtime/policy_store_file.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>

#include "crypto/kdf.h"
#include "storage/vfs/encrypted_db.h"
#include "storage/vfs/page_format.h"
#include "storage/vfs/page_key.h"

namespace dbvault::server {
namespace {

namespace fs = std::filesystem;

Error io_error(const std::string& what) { return make_error(sqlstate::kIoError, what); }

// Makes the data `path` holds durable (its contents, then its name in the directory).
Status sync_file_and_dir(const fs::path& path) {
  for (const fs::path& p : {path, path.parent_path()}) {
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_error("cannot open " + p.string() + " to sync it");
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) return io_error("cannot sync " + p.string());
  }
  return ok_status();
}

// A copy left by a crash mid-migration (never renamed, so never the store): removed.
void remove_with_side_files(const fs::path& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-journal", "-wal", "-shm", "-tde", "-tdv"}) {
    fs::remove(fs::path(path.string() + suffix), ec);
  }
}

// The plaintext store's committed state as a new encrypted file `to`: its WAL checkpointed and
// removed (journal_mode DELETE) so that no plaintext WAL is left beside the encrypted file,
// then VACUUM INTO a file opened through `vfs`, with room for the page trailer reserved
// (SQLite's VACUUM builds the copy with the reserve the source connection requested).
Status vacuum_into_encrypted(const fs::path& from, const fs::path& to, storage::vfs::TdeVfs& vfs) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(
      from.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, nullptr);
  storage::vfs::DatabasePtr src(raw);
  const std::string what = "cannot encrypt the plaintext policy store " + from.string();
  auto failed = [&](const char* step) {
    return io_error(what + ": " + step + ": " + sqlite3_errmsg(src.get()));
  };
  if (rc != SQLITE_OK) return failed("open");
  sqlite3_busy_timeout(raw, 5000);
  // Temporary files in memory: VACUUM's scratch space must not reach the disk in plaintext.
  if (sqlite3_exec(raw,
                   "PRAGMA temp_store = MEMORY; PRAGMA wal_checkpoint(TRUNCATE); "
                   "PRAGMA journal_mode = DELETE;",
                   nullptr, nullptr, nullptr) != SQLITE_OK) {
    return failed("checkpoint");
  }
  int reserve = static_cast<int>(storage::vfs::kReservedBytes);
  if (sqlite3_file_control(raw, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve) != SQLITE_OK) {
    return failed("reserve the page trailer");
  }
  const int fd = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return io_error(what + ": cannot create " + to.string());
  ::close(fd);
  sqlite3_stmt* raw_stmt = nullptr;
  if (sqlite3_prepare_v2(raw, "VACUUM INTO ?", -1, &raw_stmt, nullptr) != SQLITE_OK) {
    return failed("prepare");
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw_stmt, sqlite3_finalize);
  const std::string uri = "file:" + to.string() + "?vfs=" + vfs.name();
  sqlite3_bind_text(raw_stmt, 1, uri.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(raw_stmt) != SQLITE_DONE) {
    return storage::vfs::tde_error(vfs, raw, sqlite3_extended_errcode(raw), what);
  }
  return ok_status();
}

// `staged`: the encrypted copy of `from`, proven to open under the key and synced. It must open
// before it replaces the original. It stays in rollback-journal mode, as VACUUM INTO left it:
// WAL mode comes with the first open of policy.db, whose WAL state record is made under that
// name.
Status stage_encrypted_copy(const fs::path& from, const fs::path& staged,
                            storage::vfs::TdeVfs& vfs) {
  DBV_RETURN_IF_ERROR(vacuum_into_encrypted(from, staged, vfs));
  storage::vfs::EncryptedOpenOptions check;
  check.create = false;
  check.wal = false;
  auto db = storage::vfs::open_encrypted(staged, vfs, check);
  if (!db) return std::move(db).error();
  db->reset();
  return sync_file_and_dir(staged);
}

}  // namespace

Result<crypto::SecretBytes> policy_subkey(crypto::TekStore& keys, bool create,
                                          std::string_view label) {
  const auto scope = crypto::KeyScope::policy();
  if (create) {
    if (auto made = keys.create_tek(scope); !made) return std::move(made).error();
  }
  auto tek = keys.unwrap(scope, std::nullopt);
  if (!tek) {
    if (tek.error().code != sqlstate::kUndefinedObject) return std::move(tek).error();
    return make_error(sqlstate::kSystemError,
                      "the key store has no policy key (scope \"policy\"): the data directory's "
                      "keys/keys.db is incomplete or belongs to another data directory");
  }
  return crypto::derive_subkey(tek->key, label);
}

Result<std::unique_ptr<storage::vfs::TdeVfs>> open_policy_vfs(crypto::TekStore& keys) {
  auto info = keys.current(crypto::KeyScope::policy());
  if (!info && info.error().code != sqlstate::kUndefinedObject) return std::move(info).error();
  auto secret = policy_subkey(keys, false, kPolicyPagesLabel);
  if (!secret) return std::move(secret).error();
  auto key =
      storage::vfs::PageKey::from_secret(crypto::AeadAlgorithm::kAes256Gcm, info->version, *secret);
  if (!key) return std::move(key).error();
  return storage::vfs::TdeVfs::create(std::move(*key));
}

vault::PolicyConnector policy_connector(storage::vfs::TdeVfs& vfs) {
  return [&vfs](const fs::path& path) -> Result<sqlite::Database> {
    auto db = storage::vfs::open_encrypted(path, vfs, {});
    if (!db) {
      Error e = std::move(db).error();
      e.message = "policy store: " + e.message;
      return e;
    }
    return sqlite::Database::adopt(db->release(), {"policy store", true});
  };
}

bool is_plaintext_sqlite(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<char, 16> head{};
  if (!in.read(head.data(), head.size())) return false;
  return std::string_view(head.data(), head.size()) == std::string_view("SQLite format 3\0", 16);
}

Status encrypt_plaintext_policy_store(const fs::path& path, storage::vfs::TdeVfs& vfs) {
  if (!is_plaintext_sqlite(path)) return ok_status();
  const fs::path staged = path.string() + ".encrypting";
  remove_with_side_files(staged);
  std::error_code ec;
  for (const char* suffix : {"-tde", "-tdv"}) {  // a plaintext file has none: left by a crash
    fs::remove(fs::path(path.string() + suffix), ec);
  }
  Status done = stage_encrypted_copy(path, staged, vfs);
  // The copy's side files (its page version table) first, the database last: until the last
  // rename the plaintext file is the store, and a side file beside it is removed above.
  for (const char* suffix : {"-tde", "-tdv", ""}) {
    const fs::path from = staged.string() + suffix;
    if (!done.ok() || (*suffix != '\0' && !fs::exists(from, ec))) continue;
    const fs::path to = path.string() + suffix;
    if (std::rename(from.c_str(), to.c_str()) != 0) {
      done = io_error("cannot rename " + from.string() + " to " + to.string());
    }
  }
  remove_with_side_files(staged);
  DBV_RETURN_IF_ERROR(done);
  return sync_file_and_dir(path);
}

}  // namespace dbvault::server
