#include "server/runtime/backup_snapshot.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>

#include "storage/vfs/encrypted_db.h"
#include "storage/vfs/page_key.h"

namespace dbvault::server {
namespace {

namespace fs = std::filesystem;
using storage::vfs::DatabasePtr;

Error io_error(const std::string& what) { return make_error(sqlstate::kIoError, what); }

// The whole of `src` into `dst` in one step: one read transaction on `src`, so the copy is one
// committed state. `describe` turns a failure into the store's error.
Status copy_database(sqlite3* src, sqlite3* dst, const std::function<Error(int)>& describe) {
  sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
  if (b == nullptr) return describe(sqlite3_extended_errcode(dst));
  int rc = SQLITE_OK;
  // BUSY only while another connection holds a lock SQLite's backup needs for an instant.
  for (int attempt = 0; attempt < 500; ++attempt) {
    rc = sqlite3_backup_step(b, -1);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
    sqlite3_sleep(10);
  }
  const int finished = sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return describe(rc);
  if (finished != SQLITE_OK) return describe(finished);
  return ok_status();
}

Status copy_plain_store(const fs::path& from, const fs::path& to, const std::string& what) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(from.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  DatabasePtr src(raw);
  if (rc != SQLITE_OK) return io_error("cannot open the " + what + " " + from.string());
  raw = nullptr;
  rc = sqlite3_open_v2(to.c_str(), &raw,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  DatabasePtr dst(raw);
  if (rc != SQLITE_OK) return io_error("cannot create the copy " + to.string());
  return copy_database(src.get(), dst.get(), [&](int code) {
    return io_error("cannot copy the " + what + " " + from.string() + " (SQLite " +
                    std::to_string(code) + ": " + sqlite3_errmsg(dst.get()) + ")");
  });
}

// An encrypted database copied through `vfs`: read and sealed under the same key.
Status copy_encrypted_store(const fs::path& from, const fs::path& to, storage::vfs::TdeVfs& vfs) {
  storage::vfs::EncryptedOpenOptions read;
  read.create = false;
  read.read_only = true;
  auto src = storage::vfs::open_encrypted(from, vfs, read);
  if (!src) return std::move(src).error();
  auto dst = storage::vfs::open_encrypted(to, vfs, {});
  if (!dst) return std::move(dst).error();
  return copy_database(src->get(), dst->get(), [&](int code) {
    return storage::vfs::tde_error(vfs, dst->get(), code, "backup copy of " + from.string());
  });
}

Status make_dir(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0) return io_error("cannot create " + dir.string());
  return ok_status();
}

Status copy_plain_file(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::none, ec);
  if (ec) return io_error("cannot copy " + from.string() + ": " + ec.message());
  fs::permissions(to, fs::perms::owner_read | fs::perms::owner_write, ec);
  return ok_status();
}

// What a tablespace copy is read and sealed with: its key at the version noted in step 1.
struct TablespaceKey {
  std::string name;
  std::unique_ptr<storage::vfs::TdeVfs> vfs;
};

Result<TablespaceKey> tablespace_key(Services& s, const std::string& name, std::uint32_t version) {
  const auto scope = storage::TablespaceCatalog::scope_of(name);
  auto handle = s.gate->release({kServerKeySession, kServerKeyUser}, scope, version);
  if (!handle) {
    return make_error(handle.error().code,
                      "the key of tablespace \"" + name + "\" (version " + std::to_string(version) +
                          ") is not available for the backup: " + handle.error().message);
  }
  auto key = storage::vfs::PageKey::from_handle(std::move(*handle));
  if (!key) return std::move(key).error();
  auto vfs = storage::vfs::TdeVfs::create(std::move(*key));
  if (!vfs) return std::move(vfs).error();
  return TablespaceKey{name, std::move(*vfs)};
}

Result<std::vector<SnapshotFile>> list_copies(const fs::path& staging) {
  std::vector<SnapshotFile> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(staging, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    out.push_back({fs::relative(it->path(), staging, ec).generic_string(), it->path()});
  }
  if (ec) return io_error("cannot list " + staging.string() + ": " + ec.message());
  std::sort(out.begin(), out.end(),
            [](const SnapshotFile& a, const SnapshotFile& b) { return a.entry < b.entry; });
  return out;
}

}  // namespace

Result<std::vector<SnapshotFile>> snapshot_stores(Services& s,
                                                  const storage::TablespaceCatalog& tablespaces,
                                                  const fs::path& staging) {
  const DataDir& dir = s.dir;
  const DataDir copy{staging};
  DBV_RETURN_IF_ERROR(make_dir(staging));
  for (const auto& d : {copy.keys(), copy.data(), copy.audit()}) DBV_RETURN_IF_ERROR(make_dir(d));

  // 1. The key version each tablespace copy is sealed under.
  std::vector<std::pair<storage::TablespaceInfo, std::uint32_t>> versions;
  for (auto& ts : tablespaces.list()) {
    auto current = s.keys->current(storage::TablespaceCatalog::scope_of(ts.name));
    if (!current) return std::move(current).error();
    versions.emplace_back(std::move(ts), current->version);
  }
  // 2.-3. The key store and the policy store.
  DBV_RETURN_IF_ERROR(
      copy_plain_store(dir.keys() / "keys.db", copy.keys() / "keys.db", "key store"));
  DBV_RETURN_IF_ERROR(copy_encrypted_store(dir.policy(), copy.policy(), *s.policy_vfs));
  // 4. The engine database and the tablespaces, each under its own key.
  DBV_RETURN_IF_ERROR(copy_encrypted_store(dir.engine_db(), copy.engine_db(), *s.engine_vfs));
  for (const auto& [info, version] : versions) {
    auto key = tablespace_key(s, info.name, version);
    if (!key) return std::move(key).error();
    DBV_RETURN_IF_ERROR(copy_encrypted_store(storage::TablespaceCatalog::file_of(dir.data(), info),
                                             storage::TablespaceCatalog::file_of(copy.data(), info),
                                             *key->vfs));
  }
  // 5. The audit store, last.
  DBV_RETURN_IF_ERROR(s.audit->copy_store_to(copy.audit()));
  // 6. Settings and the TLS certificate (its key is a secret the backup's encryption covers).
  DBV_RETURN_IF_ERROR(copy_plain_file(dir.config(), copy.config()));
  std::error_code ec;
  if (fs::is_directory(dir.tls(), ec)) {
    DBV_RETURN_IF_ERROR(make_dir(copy.tls()));
    for (const auto& e : fs::directory_iterator(dir.tls(), ec)) {
      if (e.is_regular_file(ec))
        DBV_RETURN_IF_ERROR(copy_plain_file(e.path(), copy.tls() / e.path().filename()));
    }
  }
  return list_copies(staging);
}

}  // namespace dbvault::server
