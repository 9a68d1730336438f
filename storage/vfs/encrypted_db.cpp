#include "storage/vfs/encrypted_db.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "storage/vfs/checkpoint_pacing.h"

namespace dbvault::storage::vfs {
namespace fs = std::filesystem;
namespace {

Status exec(const TdeVfs& vfs, sqlite3* db, const char* sql, std::string_view what) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return tde_error(vfs, db, sqlite3_extended_errcode(db), what);
  return ok_status();
}

// Creates `path` mode 0600 if missing; returns whether it is empty (a new database).
Result<bool> prepare_file(const fs::path& path, bool create) {
  const int fd =
      ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600);
  if (fd < 0) {
    return make_error(sqlstate::kIoError,
                      "cannot open the encrypted database " + path.string() + ": " +
                          std::error_code(errno, std::generic_category()).message());
  }
  const off_t size = ::lseek(fd, 0, SEEK_END);
  ::close(fd);
  return size == 0;
}

// Page 1, which SQLite reads when it opens the file, does not authenticate.
Error key_error(const TdeVfs& vfs, const std::string& what) {
  return make_error(sqlstate::kSystemError,
                    what +
                        ": the key does not decrypt it (wrong key, or its first pages were "
                        "altered): " +
                        vfs.last_failure());
}

}  // namespace

Error tde_error(const TdeVfs& vfs, sqlite3* db, int rc, std::string_view what) {
  const std::string failure = vfs.last_failure();
  const std::string detail =
      failure.empty() ? std::string(db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc))
                      : failure;
  const int primary = rc & 0xff;
  // The VFS had no usable key (withdrawn, expired): 58000, whatever SQLite made of the failed
  // read or write — not an integrity error.
  if (!failure.empty() && vfs.last_failure_was_key() && rc != SQLITE_IOERR_DATA &&
      (primary == SQLITE_IOERR || primary == SQLITE_CORRUPT || primary == SQLITE_CANTOPEN)) {
    return make_error(sqlstate::kSystemError, std::string(what) + ": " + detail);
  }
  if (rc == SQLITE_IOERR_DATA || primary == SQLITE_CORRUPT ||
      (!failure.empty() && vfs.last_failure_was_integrity() &&
       (primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN))) {
    return make_error(sqlstate::kDataCorrupted,
                      "integrity error: " + std::string(what) + ": " + detail);
  }
  if (primary == SQLITE_NOTADB) {
    return make_error(sqlstate::kSystemError, std::string(what) + ": " + detail);
  }
  return make_error(sqlstate::kIoError, std::string(what) + ": " + detail);
}

Status configure_connection(sqlite3* db, const TdeVfs& vfs, bool pace_checkpoints) {
  // No connection of the engine loads an extension or hands fts3_tokenizer a pointer.
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0, nullptr);
  const int rc = sqlite3_exec(db, kConnectionPragmas, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return tde_error(vfs, db, sqlite3_extended_errcode(db),
                     "cannot configure the encrypted connection");
  }
  if (pace_checkpoints) install_checkpoint_pacing(db);
  return ok_status();
}

Result<DatabasePtr> open_encrypted(const fs::path& path, TdeVfs& vfs,
                                   const EncryptedOpenOptions& options) {
  auto fresh = prepare_file(path, options.create && !options.read_only);
  if (!fresh) return std::move(fresh).error();
  const std::string what = "cannot open the encrypted database " + path.string();
  if (*fresh && options.read_only) {
    return make_error(sqlstate::kSystemError, what + ": the file is empty");
  }
  vfs.record_failure({});
  sqlite3* raw = nullptr;
  const int mode = options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, mode | options.flags, vfs.name().c_str());
  DatabasePtr db(raw);
  if (rc != SQLITE_OK) {
    const int code = sqlite3_extended_errcode(raw);
    if (code == SQLITE_IOERR_DATA && vfs.last_failure_was_key()) return key_error(vfs, what);
    Error e = tde_error(vfs, raw, code, what);
    if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CANTOPEN)
      e.code = sqlstate::kSystemError;
    return e;
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  DBV_RETURN_IF_ERROR(configure_connection(raw, vfs));
  const std::string cache = "PRAGMA cache_size = -" + std::to_string(options.cache_kib);
  DBV_RETURN_IF_ERROR(exec(vfs, raw, cache.c_str(), what));
  if (*fresh) {
    int reserve = static_cast<int>(kReservedBytes);
    if (sqlite3_file_control(raw, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve) != SQLITE_OK) {
      return make_error(sqlstate::kSystemError, what + ": cannot reserve the page trailer");
    }
  }
  // Page 1 authenticated when SQLite opened the file (a wrong key fails there, 58000); the
  // schema must authenticate too (XX001 if not).
  DBV_RETURN_IF_ERROR(exec(vfs, raw, "SELECT count(*) FROM sqlite_schema", what));
  if (options.read_only) return db;
  DBV_RETURN_IF_ERROR(exec(
      vfs, raw, options.wal ? "PRAGMA journal_mode = WAL" : "PRAGMA journal_mode = DELETE", what));
  return db;
}

}  // namespace dbvault::storage::vfs
