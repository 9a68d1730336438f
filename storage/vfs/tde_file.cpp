// The file methods of TdeVfs: opening (which kind of file, which identity), the dispatch of
// each method, and the main database file's read and write paths.
#include "storage/vfs/tde_file.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>

namespace dbvault::storage::vfs::internal {
namespace {

// What SQLite allocates per file: this handle, then the default VFS's own file object.
struct FileHandle {
  sqlite3_file base;
  TdeFile* file;
};
constexpr std::size_t kHandleSize = (sizeof(FileHandle) + 15) & ~std::size_t{15};

TdeFile& file_of(sqlite3_file* f) { return *reinterpret_cast<FileHandle*>(f)->file; }

// Every other method first writes a held WAL frame header or journal image, so that nothing
// observes the file without it.
int flushed(TdeFile& t) {
  if (t.role == FileRole::kWal) return wal_flush(t);
  return t.role == FileRole::kJournal ? journal_flush(t) : SQLITE_OK;
}

int x_close(sqlite3_file* f) {
  TdeFile* t = reinterpret_cast<FileHandle*>(f)->file;
  int rc = refresh_cipher(*t);
  if (rc == SQLITE_OK) rc = flushed(*t);
  if (rc == SQLITE_OK && t->role == FileRole::kMain) rc = versions_commit(*t, false);
  const int close_rc = t->real->pMethods->xClose(t->real);
  if (rc == SQLITE_OK) rc = close_rc;
  delete t;  // NOLINT(cppcoreguidelines-owning-memory): owned by the handle since open_file
  reinterpret_cast<FileHandle*>(f)->file = nullptr;
  return rc;
}

int x_read(sqlite3_file* f, void* buf, int amt, sqlite3_int64 off) {
  TdeFile& t = file_of(f);
  if (const int rc = refresh_cipher(t); rc != SQLITE_OK) return rc;
  switch (t.role) {
    case FileRole::kMain:
      return main_read(t, buf, amt, off);
    case FileRole::kJournal:
      return journal_read(t, buf, amt, off);
    case FileRole::kWal:
      return wal_read(t, buf, amt, off);
    case FileRole::kPlain:
      return t.read_real(buf, amt, off);
  }
  return SQLITE_IOERR_READ;
}

int x_write(sqlite3_file* f, const void* buf, int amt, sqlite3_int64 off) {
  TdeFile& t = file_of(f);
  if (const int rc = refresh_cipher(t); rc != SQLITE_OK) return rc;
  switch (t.role) {
    case FileRole::kMain:
      return main_write(t, buf, amt, off);
    case FileRole::kJournal:
      return journal_write(t, buf, amt, off);
    case FileRole::kWal:
      return wal_write(t, buf, amt, off);
    case FileRole::kPlain:
      return t.write_real(buf, amt, off);
  }
  return SQLITE_IOERR_WRITE;
}

int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  TdeFile& t = file_of(f);
  int rc = refresh_cipher(t);
  if (rc == SQLITE_OK) rc = flushed(t);
  if (rc != SQLITE_OK) return rc;
  if (t.role == FileRole::kWal && size == 0) {  // emptied after a full checkpoint
    const Status st = wal_guard_clean(t.db_path, *t.identity, *t.cipher);
    if (!st.ok()) return t.fail(SQLITE_IOERR_TRUNCATE, ": " + st.error().message);
  }
  return t.real->pMethods->xTruncate(t.real, size);
}
int x_sync(sqlite3_file* f, int flags) {
  TdeFile& t = file_of(f);
  int rc = refresh_cipher(t);
  if (rc == SQLITE_OK) rc = flushed(t);
  if (rc == SQLITE_OK) rc = t.real->pMethods->xSync(t.real, flags);
  if (rc == SQLITE_OK && t.role == FileRole::kWal) rc = wal_guard_synced(t);
  if (rc == SQLITE_OK && t.role == FileRole::kMain) rc = versions_commit(t, true);
  return rc;
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  TdeFile& t = file_of(f);
  const int rc = flushed(t);
  return rc != SQLITE_OK ? rc : t.real->pMethods->xFileSize(t.real, size);
}
int x_lock(sqlite3_file* f, int level) {
  TdeFile& t = file_of(f);
  return t.real->pMethods->xLock(t.real, level);
}
int x_unlock(sqlite3_file* f, int level) {
  TdeFile& t = file_of(f);
  int rc = refresh_cipher(t);
  if (rc == SQLITE_OK) rc = flushed(t);
  // The end of a write transaction in rollback-journal mode (also without a sync).
  if (rc == SQLITE_OK && t.role == FileRole::kMain) rc = versions_commit(t, false);
  return rc != SQLITE_OK ? rc : t.real->pMethods->xUnlock(t.real, level);
}
int x_check_reserved(sqlite3_file* f, int* out) {
  TdeFile& t = file_of(f);
  return t.real->pMethods->xCheckReservedLock(t.real, out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
  TdeFile& t = file_of(f);
  if (op == SQLITE_FCNTL_MMAP_SIZE) {  // a mapped page would bypass decryption
    if (arg != nullptr) *static_cast<sqlite3_int64*>(arg) = 0;
    return SQLITE_OK;
  }
  int rc = refresh_cipher(t);
  if (rc == SQLITE_OK) rc = flushed(t);
  // A checkpoint copied its pages: record them before it releases its lock (SQLite syncs the
  // file after this only when the checkpoint was complete).
  if (rc == SQLITE_OK && op == SQLITE_FCNTL_CKPT_DONE && t.role == FileRole::kMain)
    rc = versions_commit(t, false);
  return rc != SQLITE_OK ? rc : t.real->pMethods->xFileControl(t.real, op, arg);
}
int x_sector_size(sqlite3_file* f) {
  TdeFile& t = file_of(f);
  return t.real->pMethods->xSectorSize(t.real);
}
int x_device_characteristics(sqlite3_file* f) {
  TdeFile& t = file_of(f);
  return t.real->pMethods->xDeviceCharacteristics(t.real);
}
int x_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  TdeFile& t = file_of(f);
  return t.real->pMethods->xShmMap(t.real, page, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  TdeFile& t = file_of(f);
  return t.real->pMethods->xShmLock(t.real, offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) {
  TdeFile& t = file_of(f);
  t.real->pMethods->xShmBarrier(t.real);
}
int x_shm_unmap(sqlite3_file* f, int remove) {
  TdeFile& t = file_of(f);
  return t.real->pMethods->xShmUnmap(t.real, remove);
}

// Version 2: no xFetch/xUnfetch, so SQLite never memory-maps an encrypted file.
const sqlite3_io_methods kMethods = {2,
                                     x_close,
                                     x_read,
                                     x_write,
                                     x_truncate,
                                     x_sync,
                                     x_file_size,
                                     x_lock,
                                     x_unlock,
                                     x_check_reserved,
                                     x_file_control,
                                     x_sector_size,
                                     x_device_characteristics,
                                     x_shm_map,
                                     x_shm_lock,
                                     x_shm_barrier,
                                     x_shm_unmap,
                                     nullptr,
                                     nullptr};

// Reads the header of an existing main file and finds its identity.
int setup_main(TdeFile& f) {
  sqlite3_int64 size = 0;
  int rc = f.real->pMethods->xFileSize(f.real, &size);
  if (rc != SQLITE_OK) return rc;
  if (size == 0) {
    if (wal_state_exists(f.path)) {
      return f.fail(SQLITE_CORRUPT,
                    "is empty but its WAL state record exists: the database file "
                    "was truncated or replaced (remove " +
                        wal_state_path(f.path) + " together with a database you delete)");
    }
    auto id = f.vfs->identity_for(f.path, nullptr);
    if (!id) return f.fail(SQLITE_CANTOPEN, id.error().message);
    f.identity = std::move(*id);
    return versions_load(f, size);
  }
  std::array<std::uint8_t, kRawHeaderSize> raw{};
  rc = read_exact(f, raw, 0);
  if (rc == SQLITE_IOERR_SHORT_READ || !FileHeader::has_magic(raw)) {
    return f.fail(SQLITE_NOTADB, "is not an encrypted dbvault database");
  }
  if (rc != SQLITE_OK) return rc;
  const auto header = FileHeader::decode(
      std::span<const std::uint8_t, kFileHeaderSize>(raw.data(), kFileHeaderSize));
  const std::uint32_t page_size = sqlite_page_size(raw);
  if (!header && raw[4] == 1) {
    return f.fail(SQLITE_NOTADB,
                  "is in encrypted format version 1 (before page versions), which this dbvault "
                  "does not read: export it (sqlite3 .dump through the dbvault that wrote it) "
                  "and load it into a new database");
  }
  if (!header || page_size == 0) {
    return f.fail(SQLITE_NOTADB, "has an unsupported or damaged encryption header");
  }
  if (!f.vfs->holds(header->algorithm)) {  // the header names page 1's sealing version's
    return f.fail(SQLITE_NOTADB, "is encrypted with " +
                                     std::string(crypto::algorithm_name(header->algorithm)) +
                                     ", not with the key's algorithm");
  }
  auto id = f.vfs->identity_for(f.path, &header->file_id);
  if (!id) return f.fail(SQLITE_CANTOPEN, id.error().message);
  f.identity = std::move(*id);
  f.identity->page_size.store(page_size);
  return versions_load(f, size);
}

int setup(TdeFile& f, sqlite3_filename name) {
  if (f.role == FileRole::kMain) return setup_main(f);
  if (f.role == FileRole::kPlain) return SQLITE_OK;
  f.db_path = sqlite3_filename_database(name);
  f.identity = f.vfs->open_identity(f.db_path);
  if (!f.identity) return f.fail(SQLITE_CANTOPEN, "has no open encrypted database");
  return f.role == FileRole::kWal ? wal_guard_open(f) : SQLITE_OK;
}

std::optional<FileRole> role_of(int flags) {
  if (flags & SQLITE_OPEN_MAIN_DB) return FileRole::kMain;
  if (flags & SQLITE_OPEN_MAIN_JOURNAL) return FileRole::kJournal;
  if (flags & SQLITE_OPEN_WAL) return FileRole::kWal;
  if (flags & SQLITE_OPEN_SUPER_JOURNAL) return FileRole::kPlain;  // journal names only
  return std::nullopt;  // temporary files: refused, they must stay in memory
}

// Decrypts page `pgno` of the main file in place (page 1: checks and restores its header).
int open_main_page(TdeFile& f, std::span<std::uint8_t> page, std::uint32_t pgno) {
  const FileId& id = f.identity->id;
  std::size_t raw = 0;
  if (pgno == 1) {
    const auto h = FileHeader::decode(page.first<kFileHeaderSize>());
    if (!h || h->file_id != id || page[kSqliteReserveOffset] != kReservedBytes) {
      std::memset(page.data(), 0, page.size());
      return f.fail(SQLITE_IOERR_DATA, ": its encryption header was altered or replaced");
    }
    raw = kRawHeaderSize;
  }
  if (!versions_open(f, page, pgno, raw)) {
    if (pgno == 1)
      return f.fail(SQLITE_IOERR_DATA, ": page 1 failed authentication (wrong key, or altered)",
                    true);
    return f.fail(SQLITE_IOERR_DATA, ": page " + std::to_string(pgno) +
                                         " failed authentication (wrong key, or altered, "
                                         "moved or replaced)");
  }
  if (pgno == 1) std::copy(kSqliteMagic.begin(), kSqliteMagic.end(), page.begin());
  return SQLITE_OK;
}

// SQLite reads parts of page 1 (its 100-byte header, the change counter) before whole pages.
int read_page1_part(TdeFile& f, std::span<std::uint8_t> out, sqlite3_int64 off) {
  std::uint32_t page_size = f.identity->page_size.load();
  if (page_size == 0) {
    std::array<std::uint8_t, kRawHeaderSize> raw{};
    const int rc = read_exact(f, raw, 0);
    if (rc != SQLITE_OK) {
      std::fill(out.begin(), out.end(), 0);
      return rc;  // an empty file: SQLite expects the zero-filled short read
    }
    page_size = sqlite_page_size(raw);
    if (page_size == 0) return f.fail(SQLITE_IOERR_DATA, ": damaged page size in its header");
    f.identity->page_size.store(page_size);
  }
  if (off + static_cast<sqlite3_int64>(out.size()) > page_size) {
    return f.fail(SQLITE_IOERR_READ, ": unexpected read shape");
  }
  auto page = f.scratch_of(page_size);
  const int rc = read_exact(f, page, 0);
  if (rc == SQLITE_IOERR_SHORT_READ) {
    sqlite3_int64 size = 0;
    if (f.real->pMethods->xFileSize(f.real, &size) == SQLITE_OK && size == 0) {
      std::fill(out.begin(), out.end(), 0);
      return rc;  // still empty (created by another connection of this process)
    }
    return f.fail(SQLITE_IOERR_DATA, ": page 1 is truncated");
  }
  if (rc != SQLITE_OK) return rc;
  const int orc = open_main_page(f, page, 1);
  if (orc != SQLITE_OK) return orc;
  std::copy_n(page.begin() + off, out.size(), out.begin());
  std::fill(page.begin(), page.end(), 0);
  return SQLITE_OK;
}

}  // namespace

int TdeFile::fail(int rc, const std::string& what, bool key_failure) const {
  using Kind = TdeVfs::FailureKind;
  const Kind kind = key_failure                                                  ? Kind::kKey
                    : (rc == SQLITE_IOERR_DATA || (rc & 0xff) == SQLITE_CORRUPT) ? Kind::kIntegrity
                                                                                 : Kind::kOther;
  vfs->record_failure(path + (what.starts_with(":") ? "" : " ") + what, kind);
  return rc;
}

std::span<std::uint8_t> TdeFile::scratch_of(std::size_t size) {
  if (scratch.size() < size) scratch.resize(size);
  return {scratch.data(), size};
}

int read_exact(const TdeFile& f, std::span<std::uint8_t> out, sqlite3_int64 off) {
  return f.read_real(out.data(), static_cast<int>(out.size()), off);
}

int main_read(TdeFile& f, void* buf, int amt, sqlite3_int64 off) {
  auto out =
      std::span<std::uint8_t>(static_cast<std::uint8_t*>(buf), static_cast<std::size_t>(amt));
  const std::uint32_t page_size = f.identity->page_size.load();
  if (page_size == 0 || static_cast<std::uint32_t>(amt) != page_size || off % page_size != 0) {
    if (off < 65536) return read_page1_part(f, out, off);
    return f.fail(SQLITE_IOERR_READ, ": unexpected read shape");
  }
  const int rc = f.read_real(buf, amt, off);
  if (rc == SQLITE_IOERR_SHORT_READ) {
    // Past the end of the file SQLite expects zeros; a page cut short is damage.
    sqlite3_int64 size = 0;
    if (f.real->pMethods->xFileSize(f.real, &size) == SQLITE_OK && size <= off) return rc;
    return f.fail(SQLITE_IOERR_DATA, ": a page is truncated");
  }
  if (rc != SQLITE_OK) return rc;
  return open_main_page(f, out, static_cast<std::uint32_t>(off / page_size) + 1);
}

int main_write(TdeFile& f, const void* buf, int amt, sqlite3_int64 off) {
  auto in = std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(buf),
                                          static_cast<std::size_t>(amt));
  const auto size = static_cast<std::uint32_t>(amt);
  if (off == 0) {
    // Page 1 carries the geometry: refuse a database without room for the trailer.
    if (!std::equal(kSqliteMagic.begin(), kSqliteMagic.end(), in.begin()) ||
        sqlite_page_size(in) != size || in[kSqliteReserveOffset] != kReservedBytes) {
      return f.fail(SQLITE_IOERR_WRITE, ": the database was not created with " +
                                            std::to_string(kReservedBytes) +
                                            " reserved bytes per page");
    }
    f.identity->page_size.store(size);
    const int rc = wal_guard_page1(f, in);
    if (rc != SQLITE_OK) return rc;
  }
  if (size != f.identity->page_size.load() || off % size != 0) {
    return f.fail(SQLITE_IOERR_WRITE, ": unexpected write shape");
  }
  std::uint64_t epoch = 0;
  const int erc = versions_begin(f, epoch);
  if (erc != SQLITE_OK) return erc;
  auto out = f.scratch_of(size);
  const auto pgno = static_cast<std::uint32_t>(off / size) + 1;
  std::size_t raw = 0;
  if (pgno == 1) {
    // The header names the algorithm of the version that seals this page 1 (bound to it as
    // AAD): after a change of cipher it changes with the first page 1 sealed under the new
    // version, in the same write (docs/encryption.md §3.3).
    FileHeader{f.cipher->algorithm(), f.identity->id}.encode(out.first<kFileHeaderSize>());
    std::copy(in.begin() + kFileHeaderSize, in.begin() + kRawHeaderSize,
              out.begin() + kFileHeaderSize);
    raw = kRawHeaderSize;
  }
  const PagePlace place{PageKind::kDatabase, pgno, 0, out.first(raw), epoch};
  if (!f.cipher->seal(in, out, f.identity->id, place, raw).ok()) {
    return f.fail(SQLITE_IOERR_WRITE, ": cannot encrypt a page (key budget spent or RNG failure)");
  }
  const int rc = f.write_real(out.data(), amt, off);
  if (rc == SQLITE_OK) f.epoch_pages.push_back(pgno);
  return rc;
}

bool refuse_symlink(const TdeVfs& vfs, const char* path) {
  struct stat st {};
  if (path == nullptr || ::lstat(path, &st) != 0 || !S_ISLNK(st.st_mode)) return false;
  vfs.record_failure(std::string(path) +
                     " is a symbolic link: encrypted databases are opened only as files");
  return true;
}

int file_handle_size(const sqlite3_vfs* root) {
  return static_cast<int>(kHandleSize) + root->szOsFile;
}

int refresh_cipher(TdeFile& f) {
  if (f.role == FileRole::kPlain) return SQLITE_OK;
  const std::uint64_t generation = f.vfs->key_generation();
  if (generation == f.key_generation &&
      (!f.vfs->checks_key_every_page() || !f.cipher || f.cipher->live()))
    return SQLITE_OK;
  // A new key, or this file's was withdrawn: the VFS renews it through its key source, if it
  // has one that may (else the file is unusable until it is opened again with a key).
  auto cipher = f.vfs->cipher();
  if (!cipher) return f.fail(SQLITE_IOERR, ": no usable key: " + cipher.error().message, true);
  f.cipher.emplace(std::move(*cipher));
  f.key_generation = generation;
  return SQLITE_OK;
}

int open_file(TdeVfs& vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  auto* handle = reinterpret_cast<FileHandle*>(file);
  handle->base.pMethods = nullptr;
  handle->file = nullptr;
  const auto role = role_of(flags);
  if (!role || name == nullptr) {
    vfs.record_failure(
        "a temporary file would reach the disk unencrypted: use PRAGMA temp_store = MEMORY");
    return SQLITE_CANTOPEN;
  }
  // A WAL or journal replaced by a link (the database itself: x_full_pathname).
  if (refuse_symlink(vfs, name)) return SQLITE_CANTOPEN_SYMLINK;
  auto* real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kHandleSize);
  std::memset(real, 0, static_cast<std::size_t>(vfs.root()->szOsFile));
  int rc = vfs.root()->xOpen(vfs.root(), name, real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  auto t = std::make_unique<TdeFile>();
  t->vfs = &vfs;
#ifdef DBVAULT_BENCH_PLAINTEXT
  // Only in bench/tde.cmake's dbvault_bench_plain (the "TDE off" side of bench/pgbench_tde.sh):
  // every file passes through unencrypted. Never compiled into dbvault or any library.
  t->role = FileRole::kPlain;
#else
  t->role = *role;
#endif
  t->path = name;
  t->real = real;
  if (t->role != FileRole::kPlain) {
    t->key_generation = vfs.key_generation();  // read first: a key installed meanwhile is taken
    auto cipher = vfs.cipher();
    if (cipher) {
      t->cipher.emplace(std::move(*cipher));
    } else {
      rc = t->fail(SQLITE_CANTOPEN, ": " + cipher.error().message);
    }
  }
  if (rc == SQLITE_OK) rc = setup(*t, name);
  if (rc != SQLITE_OK) {
    real->pMethods->xClose(real);
    return rc;
  }
  handle->file = t.release();
  handle->base.pMethods = &kMethods;
  return SQLITE_OK;
}

}  // namespace dbvault::storage::vfs::internal
