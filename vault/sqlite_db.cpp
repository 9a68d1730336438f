#include "vault/sqlite_db.h"

namespace dbvault::vault::internal {

namespace {
Error store_error(sqlite3* db, std::string_view what) {
  return make_error(sqlstate::kIoError, "policy store: " + std::string(what) + ": " +
                                            (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}
}  // namespace

void PolicyStmt::bind_one(int i, std::string_view v) {
  sqlite3_bind_text(stmt_.get(), i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
void PolicyStmt::bind_one(int i, std::int64_t v) { sqlite3_bind_int64(stmt_.get(), i, v); }
void PolicyStmt::bind_one(int i, std::nullopt_t) { sqlite3_bind_null(stmt_.get(), i); }

Result<bool> PolicyStmt::step() {
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return store_error(sqlite3_db_handle(stmt_.get()), "statement failed");
}

std::string PolicyStmt::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_.get(), column);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p));
}
std::int64_t PolicyStmt::int64(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}
bool PolicyStmt::is_null(int column) const {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

Result<PolicyDb> PolicyDb::open(const std::filesystem::path& path) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  PolicyDb db(raw);
  if (rc != SQLITE_OK) return db.error("cannot open " + path.string());
  sqlite3_busy_timeout(raw, 5000);
  DBV_RETURN_IF_ERROR(
      db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  return db;
}

Status PolicyDb::exec(std::string_view sql) {
  const std::string text(sql);
  if (sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return error("exec failed");
  }
  return ok_status();
}

Result<PolicyStmt> PolicyDb::prepare(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr) !=
      SQLITE_OK) {
    return error("prepare failed");
  }
  return PolicyStmt(raw);
}

Error PolicyDb::error(std::string_view what) const { return store_error(db_.get(), what); }

Result<PolicyTransaction> PolicyTransaction::begin(PolicyDb& db) {
  DBV_RETURN_IF_ERROR(db.exec("BEGIN IMMEDIATE"));
  return PolicyTransaction(&db);
}

PolicyTransaction::~PolicyTransaction() {
  if (db_ != nullptr) (void)db_->exec("ROLLBACK");
}

Status PolicyTransaction::commit() {
  DBV_RETURN_IF_ERROR(db_->exec("COMMIT"));
  db_ = nullptr;
  return ok_status();
}

}  // namespace dbvault::vault::internal
