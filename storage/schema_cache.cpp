#include "storage/schema_cache.h"

namespace dbvault::storage {

std::optional<std::int64_t> SchemaCache::cookie(const std::string& schema) {
  if (sqlite3_txn_state(db_, nullptr) == SQLITE_TXN_WRITE) return std::nullopt;
  const char* file = sqlite3_db_filename(db_, schema.c_str());
  // temp has no file name (or none until it is first used); no other file can answer to it
  // (ATTACH ... AS temp is refused by SQLite).
  if (file == nullptr && sqlite3_stricmp(schema.c_str(), "temp") == 0) file = "";
  if (file == nullptr) return std::nullopt;  // no such schema: the query will say so
  auto it = cookie_queries_.find(schema);
  if (it != cookie_queries_.end() && it->second.file != file) {
    clear();  // another file under this name since
    it = cookie_queries_.end();
  }
  if (it == cookie_queries_.end()) {
    std::string quoted = "\"";
    for (char c : schema) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    const std::string sql = "PRAGMA " + quoted + "\".schema_version";
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr) !=
        SQLITE_OK) {
      sqlite3_finalize(raw);
      return std::nullopt;
    }
    it = cookie_queries_.emplace(schema, CookieQuery{{raw, Finalize{}}, file}).first;
  }
  sqlite3_stmt* st = it->second.stmt.get();
  std::optional<std::int64_t> value;
  if (sqlite3_step(st) == SQLITE_ROW) value = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);  // never keep its read transaction open
  return value;
}

std::optional<unsigned> SchemaCache::data_version(const std::string& schema) const {
  const int state = sqlite3_txn_state(db_, nullptr);
  if (state == SQLITE_TXN_WRITE) return std::nullopt;
  const bool temp = sqlite3_stricmp(schema.c_str(), "temp") == 0;
  if (!temp && sqlite3_txn_state(db_, schema.c_str()) != SQLITE_TXN_READ) return std::nullopt;
  const auto it = cookie_queries_.find(schema);
  if (it == cookie_queries_.end()) return std::nullopt;
  const char* file = sqlite3_db_filename(db_, schema.c_str());
  if (file == nullptr && temp) file = "";
  if (file == nullptr || it->second.file != file) return std::nullopt;
  unsigned version = 0;
  if (sqlite3_file_control(db_, schema.c_str(), SQLITE_FCNTL_DATA_VERSION, &version) != SQLITE_OK)
    return std::nullopt;  // temp before its first use has no file to ask
  return version;
}

std::shared_ptr<const SchemaCache::Rows> SchemaCache::find(const std::string& sql,
                                                           std::int64_t cookie) const {
  auto it = answers_.find(sql);
  if (it == answers_.end() || it->second.cookie != cookie) return nullptr;
  return it->second.rows;
}

void SchemaCache::store(const std::string& sql, std::int64_t cookie,
                        std::shared_ptr<const Rows> rows) {
  if (answers_.size() >= kMaxEntries) answers_.clear();
  answers_[sql] = Entry{cookie, std::move(rows)};
}

void SchemaCache::clear() {
  ++generation_;
  answers_.clear();
  cookie_queries_.clear();
}

}  // namespace dbvault::storage
