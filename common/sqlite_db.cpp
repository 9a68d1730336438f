#include "common/sqlite_db.h"

#include <fcntl.h>
#include <unistd.h>

namespace dbvault::sqlite {
namespace {

constexpr SqlState kUniqueViolation{"23505"};

// A store's failure is an I/O error, except a broken UNIQUE or PRIMARY KEY constraint: that is
// a name some other writer took first (23505), which a caller may answer as 42710.
Error store_error(sqlite3* db, std::string_view label, std::string_view what) {
  const int code = db != nullptr ? sqlite3_extended_errcode(db) : SQLITE_NOMEM;
  const bool taken = code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY;
  return make_error(taken ? kUniqueViolation : sqlstate::kIoError,
                    std::string(label) + ": " + std::string(what) + ": " +
                        (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

}  // namespace

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_.get(), index, text.data(), static_cast<int>(text.size()),
                    SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_.get(), index, value);
  return *this;
}
Statement& Statement::bind(int index, std::span<const std::uint8_t> blob) {
  sqlite3_bind_blob(stmt_.get(), index, blob.data(), static_cast<int>(blob.size()),
                    SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind(int index, std::nullopt_t) {
  sqlite3_bind_null(stmt_.get(), index);
  return *this;
}

Result<bool> Statement::step() {
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return store_error(sqlite3_db_handle(stmt_.get()), label_, "statement failed");
}

std::string Statement::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_.get(), column);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p));
}
std::int64_t Statement::int64(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}
std::vector<std::uint8_t> Statement::blob(int column) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_.get(), column));
  const int n = sqlite3_column_bytes(stmt_.get(), column);
  return p == nullptr ? std::vector<std::uint8_t>() : std::vector<std::uint8_t>(p, p + n);
}
bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

Result<Database> Database::open(const std::filesystem::path& path, OpenOptions options) {
  // A new store is created owner-only (0600) whatever the umask; SQLite gives its -wal and
  // -shm files the database file's permissions.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Database failed(raw, std::move(options.label));
    return failed.error("cannot open " + path.string());
  }
  sqlite3_busy_timeout(raw, 5000);
  return adopt(raw, std::move(options));
}

Result<Database> Database::adopt(sqlite3* raw, OpenOptions options) {
  Database db(raw, std::move(options.label));
  // The stores run only their own statements; still, nothing loads an extension or hands
  // fts3_tokenizer a pointer on any connection of the server.
  sqlite3_db_config(raw, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0, nullptr);
  if (options.wal) DBV_RETURN_IF_ERROR(db.exec("PRAGMA journal_mode=WAL;"));
  DBV_RETURN_IF_ERROR(db.exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  return db;
}

Error Database::error(std::string_view what) const { return store_error(db_.get(), label_, what); }

Status Database::exec(std::string_view sql) {
  const std::string text(sql);
  if (sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return error("statement failed");
  }
  return ok_status();
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr) !=
      SQLITE_OK) {
    return error("cannot prepare statement");
  }
  return Statement(raw, label_);
}

Status Database::run(Statement& stmt) {
  auto r = stmt.step();
  if (!r) return std::move(r).error();
  return ok_status();
}

Result<Transaction> Transaction::begin(Database& db) {
  DBV_RETURN_IF_ERROR(db.exec("BEGIN IMMEDIATE"));
  return Transaction(&db);
}
Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->exec("ROLLBACK");
}
Status Transaction::commit() {
  DBV_RETURN_IF_ERROR(db_->exec("COMMIT"));
  db_ = nullptr;
  return ok_status();
}

}  // namespace dbvault::sqlite
