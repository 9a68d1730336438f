#include "storage/rotation_reencrypt.h"

#include <array>
#include <fstream>

#include "storage/vfs/encrypted_db.h"
#include "storage/vfs/page_format.h"
#include "storage/vfs/tde_vfs.h"

namespace dbvault::storage {
namespace {

// SQLite's page size, bytes 16-17 of the header (1 means 65536).
std::uint32_t page_size_of(const std::array<std::uint8_t, 24>& header) {
  const std::uint32_t raw = (std::uint32_t{header[16]} << 8) | header[17];
  return raw == 1 ? 65536u : raw;
}

std::string sql_identifier(const std::string& schema) {
  std::string out = "\"";
  for (char c : schema) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

Error sqlite_failure(sqlite3* db, const std::string& what) {
  const vfs::TdeVfs* tde = vfs::TdeVfs::of(db);
  const int rc = sqlite3_extended_errcode(db);
  if (tde != nullptr) return vfs::tde_error(*tde, db, rc, what);
  return make_error(sqlstate::kIoError, what + ": " + sqlite3_errmsg(db));
}

}  // namespace

Result<PageCensus> census(const std::filesystem::path& file, std::uint32_t version) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error(sqlstate::kIoError, "cannot read " + file.string());
  std::array<std::uint8_t, 24> header{};
  if (!in.read(reinterpret_cast<char*>(header.data()), header.size())) {
    return PageCensus{};  // an empty file has no page
  }
  if (!vfs::FileHeader::has_magic(header)) {
    return make_error(sqlstate::kDataCorrupted, file.string() + " is not an encrypted database");
  }
  const std::uint32_t page_size = page_size_of(header);
  if (page_size < 512 || (page_size & (page_size - 1)) != 0) {
    return make_error(sqlstate::kDataCorrupted, file.string() + ": invalid page size");
  }
  PageCensus out;
  std::array<std::uint8_t, vfs::kKeyVersionSize> trailer{};
  for (std::uint64_t page = 0;; ++page) {
    const auto at = static_cast<std::streamoff>((page + 1) * page_size - vfs::kReservedBytes);
    in.seekg(at);
    if (!in.read(reinterpret_cast<char*>(trailer.data()), trailer.size())) break;
    ++out.total;
    if (vfs::load_be32(trailer.data()) == version) ++out.current;
  }
  return out;
}

FileReencryption::FileReencryption(sqlite3* db, std::filesystem::path file,
                                   std::shared_ptr<const vfs::PageKey> target,
                                   ReencryptOptions options)
    : db_(db), file_(std::move(file)), target_(std::move(target)), options_(std::move(options)) {}

Status FileReencryption::vacuum() {
  sqlite3_busy_timeout(db_, options_.vacuum_busy_timeout_ms);
  const std::string sql = "VACUUM " + sql_identifier(options_.schema);
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return sqlite_failure(db_, "re-encryption of " + file_.string() + " (VACUUM)");
  }
  return ok_status();
}

Status FileReencryption::checkpoint() {
  sqlite3_busy_timeout(db_, options_.checkpoint_busy_timeout_ms);
  for (int attempt = 0; attempt < options_.checkpoint_attempts; ++attempt) {
    int log = -1;
    int copied = -1;
    const int rc = sqlite3_wal_checkpoint_v2(db_, options_.schema.c_str(),
                                             SQLITE_CHECKPOINT_TRUNCATE, &log, &copied);
    if (rc == SQLITE_OK && log == 0) return ok_status();
    if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED) {
      return sqlite_failure(db_, "re-encryption of " + file_.string() + " (checkpoint)");
    }
  }
  return make_error(sqlstate::kObjectNotInPrerequisiteState,
                    "re-encryption of " + file_.string() +
                        ": the WAL could not be emptied (readers kept it busy); retried later");
}

Status FileReencryption::prove() const {
  auto alone = vfs::TdeVfs::create(target_);
  if (!alone) return std::move(alone).error();
  vfs::EncryptedOpenOptions read;
  read.create = false;
  read.read_only = true;
  read.cache_kib = 2000;
  auto db = vfs::open_encrypted(file_, **alone, read);
  if (!db) return std::move(db).error();
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db->get(), "PRAGMA quick_check", -1, &raw, nullptr) != SQLITE_OK) {
    return sqlite_failure(db->get(), "re-encryption proof of " + file_.string());
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
  const int rc = sqlite3_step(stmt.get());
  const auto* text = rc == SQLITE_ROW ? sqlite3_column_text(stmt.get(), 0) : nullptr;
  if (text == nullptr || std::string(reinterpret_cast<const char*>(text)) != "ok") {
    if (rc != SQLITE_ROW)
      return sqlite_failure(db->get(), "re-encryption proof of " + file_.string());
    return make_error(sqlstate::kDataCorrupted,
                      "re-encryption proof of " + file_.string() + ": quick_check failed");
  }
  return ok_status();
}

Result<crypto::RotationProgress> FileReencryption::step() {
  const std::uint32_t version = target_->version();
  auto before = census(file_, version);
  if (!before) return std::move(before).error();
  if (before->current < before->total) DBV_RETURN_IF_ERROR(vacuum());
  DBV_RETURN_IF_ERROR(checkpoint());
  auto after = census(file_, version);
  if (!after) return std::move(after).error();
  crypto::RotationProgress progress{after->current, after->total};
  if (after->current < after->total) return progress;
  DBV_RETURN_IF_ERROR(prove());
  return progress;
}

}  // namespace dbvault::storage
