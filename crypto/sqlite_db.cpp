#include "crypto/sqlite_db.h"

namespace dbvault::crypto::internal {

SqliteStmt& SqliteStmt::bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_.get(), index, text.data(), static_cast<int>(text.size()),
                    SQLITE_TRANSIENT);
  return *this;
}

SqliteStmt& SqliteStmt::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_.get(), index, value);
  return *this;
}

SqliteStmt& SqliteStmt::bind(int index, std::span<const std::uint8_t> blob) {
  sqlite3_bind_blob(stmt_.get(), index, blob.data(), static_cast<int>(blob.size()),
                    SQLITE_TRANSIENT);
  return *this;
}

Result<bool> SqliteStmt::step() {
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return make_error(sqlstate::kIoError,
                    std::string("key store: ") + sqlite3_errmsg(sqlite3_db_handle(stmt_.get())));
}

std::string SqliteStmt::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_.get(), column);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p));
}

std::int64_t SqliteStmt::int64(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}

std::vector<std::uint8_t> SqliteStmt::blob(int column) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_.get(), column));
  const int n = sqlite3_column_bytes(stmt_.get(), column);
  return p == nullptr ? std::vector<std::uint8_t>() : std::vector<std::uint8_t>(p, p + n);
}

Result<SqliteDb> SqliteDb::open(const std::filesystem::path& path) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  SqliteDb db(raw);
  if (rc != SQLITE_OK) return db.error("cannot open " + path.string());
  sqlite3_busy_timeout(raw, 5000);
  DBV_RETURN_IF_ERROR(db.exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  return db;
}

Error SqliteDb::error(std::string_view what) const {
  return make_error(sqlstate::kIoError, "key store: " + std::string(what) + ": " +
                                            (db_ ? sqlite3_errmsg(db_.get()) : "out of memory"));
}

Status SqliteDb::exec(std::string_view sql) {
  if (sqlite3_exec(db_.get(), std::string(sql).c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return error("statement failed");
  }
  return ok_status();
}

Result<SqliteStmt> SqliteDb::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return error("cannot prepare statement");
  }
  return SqliteStmt(stmt);
}

Status SqliteDb::run(SqliteStmt& stmt) {
  auto r = stmt.step();
  if (!r) return std::move(r).error();
  return ok_status();
}

Result<SqliteTransaction> SqliteTransaction::begin(SqliteDb& db) {
  DBV_RETURN_IF_ERROR(db.exec("BEGIN IMMEDIATE"));
  return SqliteTransaction(&db);
}

SqliteTransaction::~SqliteTransaction() {
  if (db_ != nullptr) (void)db_->exec("ROLLBACK");
}

Status SqliteTransaction::commit() {
  DBV_RETURN_IF_ERROR(db_->exec("COMMIT"));
  db_ = nullptr;
  return ok_status();
}

}  // namespace dbvault::crypto::internal
