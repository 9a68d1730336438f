#include "storage/vfs/tde_vfs.h"

#include <atomic>

#include "crypto/random.h"
#include "storage/vfs/tde_file.h"

namespace dbvault::storage::vfs {
namespace {

TdeVfs& self(sqlite3_vfs* v) { return *static_cast<TdeVfs*>(v->pAppData); }
sqlite3_vfs* root(sqlite3_vfs* v) { return self(v).root(); }

int x_open(sqlite3_vfs* v, sqlite3_filename name, sqlite3_file* file, int flags, int* out) {
  return internal::open_file(self(v), name, file, flags, out);
}
int x_delete(sqlite3_vfs* v, const char* name, int sync_dir) {
  const std::string_view n(name);
  if (n.ends_with("-wal")) {
    // SQLite deletes a WAL only once it is fully checkpointed: record that first.
    const std::string db(n.substr(0, n.size() - 4));
    auto identity = self(v).open_identity(db);
    auto cipher =
        identity
            ? self(v).cipher()
            : Result<PageCipher>(make_error(sqlstate::kSystemError, "the database is not open"));
    const Status st =
        cipher ? internal::wal_guard_clean(db, *identity, *cipher) : Status(cipher.error());
    if (!st.ok()) {
      self(v).record_failure(db + ": cannot record the WAL's deletion: " + st.error().message);
      return SQLITE_IOERR_DELETE;
    }
  }
  return root(v)->xDelete(root(v), name, sync_dir);
}
int x_access(sqlite3_vfs* v, const char* name, int flags, int* out) {
  return root(v)->xAccess(root(v), name, flags, out);
}
int x_full_pathname(sqlite3_vfs* v, const char* name, int n, char* out) {
  // SQLite resolves a symbolic link here, and would then keep the file's WAL and journal
  // next to its target: a file of the data directory replaced by a link is refused instead.
  if (internal::refuse_symlink(self(v), name)) return SQLITE_CANTOPEN_SYMLINK;
  return root(v)->xFullPathname(root(v), name, n, out);
}
// No extension loading through an encrypting VFS.
void* x_dl_open(sqlite3_vfs*, const char*) { return nullptr; }
void x_dl_error(sqlite3_vfs*, int n, char* out) {
  if (n > 0) sqlite3_snprintf(n, out, "extension loading is disabled");
}
void (*x_dl_sym(sqlite3_vfs*, void*, const char*))(void) { return nullptr; }
void x_dl_close(sqlite3_vfs*, void*) {}
int x_randomness(sqlite3_vfs* v, int n, char* out) { return root(v)->xRandomness(root(v), n, out); }
int x_sleep(sqlite3_vfs* v, int us) { return root(v)->xSleep(root(v), us); }
int x_current_time(sqlite3_vfs* v, double* out) { return root(v)->xCurrentTime(root(v), out); }
int x_last_error(sqlite3_vfs* v, int n, char* out) {
  return root(v)->xGetLastError(root(v), n, out);
}
int x_current_time64(sqlite3_vfs* v, sqlite3_int64* out) {
  return root(v)->xCurrentTimeInt64(root(v), out);
}

std::atomic<unsigned> g_next_vfs{1};

}  // namespace

TdeVfs::TdeVfs(std::shared_ptr<const PageKey> key, KeySource source, sqlite3_vfs* root_vfs,
               std::string name)
    : key_(std::move(key)), source_(std::move(source)), root_(root_vfs), name_(std::move(name)) {
  vfs_.iVersion = 2;
  vfs_.szOsFile = internal::file_handle_size(root_);
  vfs_.mxPathname = root_->mxPathname;
  vfs_.zName = name_.c_str();
  vfs_.pAppData = this;
  vfs_.xOpen = x_open;
  vfs_.xDelete = x_delete;
  vfs_.xAccess = x_access;
  vfs_.xFullPathname = x_full_pathname;
  vfs_.xDlOpen = x_dl_open;
  vfs_.xDlError = x_dl_error;
  vfs_.xDlSym = x_dl_sym;
  vfs_.xDlClose = x_dl_close;
  vfs_.xRandomness = x_randomness;
  vfs_.xSleep = x_sleep;
  vfs_.xCurrentTime = x_current_time;
  vfs_.xGetLastError = x_last_error;
  vfs_.xCurrentTimeInt64 = x_current_time64;
}

Result<std::unique_ptr<TdeVfs>> TdeVfs::create(std::shared_ptr<const PageKey> key) {
  return make(std::move(key), {});
}

Result<std::unique_ptr<TdeVfs>> TdeVfs::create(KeySource source) {
  if (!source) return make_error(sqlstate::kSystemError, "no encryption key source");
  auto key = source();
  if (!key) return std::move(key).error();
  return make(std::move(*key), std::move(source));
}

Result<std::unique_ptr<TdeVfs>> TdeVfs::make(std::shared_ptr<const PageKey> key, KeySource source) {
  if (!key) return make_error(sqlstate::kSystemError, "no encryption key");
  sqlite3_vfs* root_vfs = sqlite3_vfs_find(nullptr);
  if (root_vfs == nullptr || root_vfs->iVersion < 2) {
    return make_error(sqlstate::kSystemError, "SQLite has no usable default VFS");
  }
  std::string name = "dbvault-tde-" + std::to_string(g_next_vfs.fetch_add(1));
  std::unique_ptr<TdeVfs> vfs(
      new TdeVfs(std::move(key), std::move(source), root_vfs, std::move(name)));
  if (sqlite3_vfs_register(&vfs->vfs_, 0) != SQLITE_OK) {
    return make_error(sqlstate::kSystemError, "cannot register the encrypting SQLite VFS");
  }
  return vfs;
}

TdeVfs::~TdeVfs() { sqlite3_vfs_unregister(&vfs_); }

const TdeVfs* TdeVfs::of(sqlite3* db) {
  sqlite3_vfs* v = nullptr;
  if (db == nullptr ||
      sqlite3_file_control(db, "main", SQLITE_FCNTL_VFS_POINTER, &v) != SQLITE_OK || v == nullptr)
    return nullptr;
  // Ours if its xOpen is ours: a name can be registered by anyone, a function address cannot.
  return v->xOpen == x_open ? static_cast<const TdeVfs*>(v->pAppData) : nullptr;
}

crypto::AeadAlgorithm TdeVfs::algorithm() const {
  std::lock_guard lock(key_mu_);
  return key_->algorithm();
}

bool TdeVfs::holds(crypto::AeadAlgorithm algorithm) const {
  std::lock_guard lock(key_mu_);
  return key_->holds(algorithm);
}

std::uint32_t TdeVfs::key_version() const {
  std::lock_guard lock(key_mu_);
  return key_->version();
}

Status TdeVfs::install_locked(std::shared_ptr<const PageKey> key) {
  if (!key || key->version() < key_->version() ||
      (key->version() == key_->version() && key->algorithm() != key_->algorithm())) {
    return make_error(sqlstate::kSystemError,
                      "the renewed key is not the one the database is encrypted with");
  }
  key_ = std::move(key);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return ok_status();
}

Status TdeVfs::install_key(std::shared_ptr<const PageKey> key) {
  std::lock_guard lock(key_mu_);
  return install_locked(std::move(key));
}

Status TdeVfs::renew_key() {
  if (!source_) return make_error(sqlstate::kInvalidParameterValue, "the VFS has no key source");
  std::lock_guard lock(key_mu_);
  auto next = source_();
  if (!next) return std::move(next).error();
  return install_locked(std::move(*next));
}

Result<PageCipher> TdeVfs::cipher() {
  std::lock_guard lock(key_mu_);
  if (source_ && key_->expired()) {
    auto next = source_();
    if (!next) return std::move(next).error();
    DBV_RETURN_IF_ERROR(install_locked(std::move(*next)));
  }
  return key_->cipher();
}

std::string TdeVfs::last_failure() const {
  std::lock_guard lock(failure_mu_);
  return failure_;
}

bool TdeVfs::last_failure_was_key() const {
  std::lock_guard lock(failure_mu_);
  return failure_kind_ == FailureKind::kKey;
}

bool TdeVfs::last_failure_was_integrity() const {
  std::lock_guard lock(failure_mu_);
  return failure_kind_ != FailureKind::kOther;
}

void TdeVfs::record_failure(std::string what, FailureKind kind) const {
  std::lock_guard lock(failure_mu_);
  failure_ = std::move(what);
  failure_kind_ = kind;
}

Result<std::shared_ptr<FileIdentity>> TdeVfs::identity_for(const std::string& path,
                                                           const FileId* id) {
  std::lock_guard lock(mu_);
  auto& slot = identities_[path];
  if (auto live = slot.lock(); live && (id == nullptr || live->id == *id)) return live;
  auto fresh = std::make_shared<FileIdentity>();
  if (id != nullptr) {
    fresh->id = *id;
  } else {
    DBV_RETURN_IF_ERROR(crypto::random_bytes(fresh->id));
  }
  slot = fresh;
  return fresh;
}

std::shared_ptr<FileIdentity> TdeVfs::open_identity(const std::string& path) {
  std::lock_guard lock(mu_);
  auto it = identities_.find(path);
  return it == identities_.end() ? nullptr : it->second.lock();
}

}  // namespace dbvault::storage::vfs
