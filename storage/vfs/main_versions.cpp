// The page version table of a main database file, kept in step with its page writes
// (page_versions.h): each page write is sealed in the connection's current write epoch, begun
// (recorded as pending) before the first write and recorded with the pages it wrote once the
// file is synced. Reads accept a page under its recorded epoch or the pending one.
#include <algorithm>

#include "storage/vfs/tde_file.h"

namespace dbvault::storage::vfs::internal {
namespace {

bool open_in(TdeFile& f, std::span<std::uint8_t> page, std::uint32_t pgno, std::size_t raw,
             std::uint64_t epoch) {
  const PagePlace place{PageKind::kDatabase, pgno, 0, page.first(raw), epoch};
  return f.cipher->open(page, f.identity->id, place, raw).ok();
}

std::array<std::uint64_t, 2> candidates(TdeFile& f, std::uint32_t pgno) {
  std::lock_guard lock(f.identity->versions_mu);
  const auto& v = f.identity->versions;
  return v ? std::array<std::uint64_t, 2>{v->epoch_of(pgno), v->pending}
           : std::array<std::uint64_t, 2>{};
}

sqlite3_int64 page_offset(std::uint32_t pgno, std::size_t page_size) {
  return static_cast<sqlite3_int64>(pgno - 1) * static_cast<sqlite3_int64>(page_size);
}

int table_error(const TdeFile& f, const Error& e) {
  return f.fail(e.code == sqlstate::kDataCorrupted ? SQLITE_CORRUPT : SQLITE_IOERR,
                ": " + e.message);
}

// Replaces the in-memory table with the one on disk; true if it changed.
bool reload(TdeFile& f) {
  auto disk = read_page_versions(f.path, f.identity->id, *f.cipher);
  if (!disk || !*disk) return false;
  std::lock_guard lock(f.identity->versions_mu);
  auto& mine = f.identity->versions;
  if (mine && mine->committed == (*disk)->committed && mine->pending == (*disk)->pending)
    return false;
  mine = std::move(**disk);
  return true;
}

// A write epoch left pending by a crash: records under it the pages on disk that carry it, so
// that they stay readable once another epoch is pending. One decryption per page (two for a
// page of the pending epoch); pages that authenticate under neither are left for SQLite to
// rewrite (a crash may have cut a page write short) or to fail on when read (XX001).
void resolve_pending(TdeFile& f, PageVersions& v) {
  const std::uint32_t page_size = f.identity->page_size.load();
  sqlite3_int64 size = 0;
  if (page_size == 0 || f.real->pMethods->xFileSize(f.real, &size) != SQLITE_OK) return;
  const auto pages = static_cast<std::uint32_t>(size / page_size);
  if (v.epochs.size() < pages) v.epochs.resize(pages, 0);
  auto page = f.scratch_of(page_size);
  for (std::uint32_t pgno = 1; pgno <= pages; ++pgno) {
    const std::size_t raw = pgno == 1 ? kRawHeaderSize : 0;
    const std::uint64_t recorded = v.epoch_of(pgno);
    if (read_exact(f, page, page_offset(pgno, page_size)) != SQLITE_OK) continue;
    if (recorded != 0 && recorded != v.pending && open_in(f, page, pgno, raw, recorded)) continue;
    if (recorded != 0 && read_exact(f, page, page_offset(pgno, page_size)) != SQLITE_OK) continue;
    if (open_in(f, page, pgno, raw, v.pending)) v.epochs[pgno - 1] = v.pending;
  }
  std::fill(page.begin(), page.end(), 0);
  v.committed = std::max(v.committed, v.pending);
  v.pending = 0;
}

// The table does not authenticate: a wrong key (then page 1 does not open under the epochs the
// table claims for it either: 58000) or an altered table (XX001).
int unauthenticated_table(TdeFile& f, const Error& e) {
  auto claimed = read_page_versions(f.path, f.identity->id, *f.cipher, false);
  const std::uint32_t page_size = f.identity->page_size.load();
  if (claimed && *claimed && page_size != 0) {
    std::vector<std::uint8_t> page(page_size);
    bool opens = false;
    for (std::uint64_t epoch : {(*claimed)->epoch_of(1), (*claimed)->pending}) {
      opens = opens ||
              (read_exact(f, page, 0) == SQLITE_OK && open_in(f, page, 1, kRawHeaderSize, epoch));
    }
    std::fill(page.begin(), page.end(), 0);
    if (!opens) {
      return f.fail(SQLITE_IOERR_DATA, ": page 1 failed authentication (wrong key, or altered)",
                    true);
    }
  }
  return table_error(f, e);
}

}  // namespace

int versions_load(TdeFile& f, sqlite3_int64 file_size) {
  std::lock_guard lock(f.identity->versions_mu);
  if (f.identity->versions) return SQLITE_OK;  // another connection to the file loaded it
  auto disk = read_page_versions(f.path, f.identity->id, *f.cipher);
  if (!disk && disk.error().code == sqlstate::kDataCorrupted)
    return unauthenticated_table(f, disk.error());
  if (!disk) return table_error(f, disk.error());
  if (file_size == 0 && *disk) {
    return f.fail(SQLITE_CORRUPT,
                  "is empty but its page version table exists: the database "
                  "file was truncated or replaced (remove " +
                      page_versions_path(f.path) + " together with a database you delete)");
  }
  if (file_size > 0 && !*disk) {
    return f.fail(SQLITE_CORRUPT, ": its page version table " + page_versions_path(f.path) +
                                      " is missing (deleted or moved?)");
  }
  f.identity->versions = *disk ? std::move(**disk) : PageVersions{};
  return SQLITE_OK;
}

bool versions_open(TdeFile& f, std::span<std::uint8_t> page, std::uint32_t pgno, std::size_t raw) {
  const auto first = candidates(f, pgno);
  if (first[0] != 0 && open_in(f, page, pgno, raw, first[0])) return true;
  std::array<std::uint64_t, 4> tried{first[0]};
  std::size_t n = 1;
  for (int round = 0; round < 2; ++round) {
    if (round == 1 && !reload(f)) break;  // another process may have checkpointed
    for (std::uint64_t e : candidates(f, pgno)) {
      if (e == 0 || n == tried.size() ||
          std::find(tried.begin(), tried.begin() + n, e) != tried.begin() + n)
        continue;
      tried[n++] = e;
      if (read_exact(f, page, page_offset(pgno, page.size())) != SQLITE_OK) break;
      if (open_in(f, page, pgno, raw, e)) return true;
    }
  }
  std::fill(page.begin(), page.end(), 0);
  return false;
}

int versions_begin(TdeFile& f, std::uint64_t& epoch) {
  if (f.epoch != 0) {
    epoch = f.epoch;
    return SQLITE_OK;
  }
  // The writer holds SQLite's lock: the table on disk is current (another process may have
  // written it since this one loaded it).
  auto disk = read_page_versions(f.path, f.identity->id, *f.cipher);
  if (!disk) return table_error(f, disk.error());
  PageVersions v;
  if (*disk) {
    v = std::move(**disk);
  } else {
    sqlite3_int64 size = 0;
    const int rc = f.real->pMethods->xFileSize(f.real, &size);
    if (rc != SQLITE_OK) return rc;
    if (size > 0) {
      return f.fail(SQLITE_CORRUPT, ": its page version table " + page_versions_path(f.path) +
                                        " is missing (deleted or moved?)");
    }
  }
  if (v.pending != 0) resolve_pending(f, v);
  v.pending = v.next_epoch();
  const Status st = write_page_versions(f.path, f.identity->id, *f.cipher, v);
  if (!st.ok()) return table_error(f, st.error());
  f.epoch = v.pending;
  f.epoch_pages.clear();
  {
    std::lock_guard lock(f.identity->versions_mu);
    f.identity->versions = std::move(v);
  }
  epoch = f.epoch;
  return SQLITE_OK;
}

int versions_commit(TdeFile& f, bool synced) {
  if (f.epoch == 0) return SQLITE_OK;
  int rc = synced ? SQLITE_OK : f.real->pMethods->xSync(f.real, SQLITE_SYNC_NORMAL);
  sqlite3_int64 size = 0;
  if (rc == SQLITE_OK) rc = f.real->pMethods->xFileSize(f.real, &size);
  if (rc != SQLITE_OK) return rc;
  const std::uint32_t page_size = f.identity->page_size.load();
  PageVersions next;
  {
    std::lock_guard lock(f.identity->versions_mu);
    if (f.identity->versions) next = *f.identity->versions;
  }
  next.epochs.resize(page_size == 0 ? 0 : static_cast<std::size_t>(size / page_size), 0);
  for (std::uint32_t pgno : f.epoch_pages) {
    if (pgno <= next.epochs.size()) next.epochs[pgno - 1] = f.epoch;
  }
  next.committed = std::max(next.committed, f.epoch);
  next.pending = 0;
  // No directory sync: the table this replaces has f.epoch pending (durably, versions_begin),
  // so a system crash that undoes the rename leaves a pending epoch, which the next writer
  // resolves from the pages themselves (resolve_pending). One sync fewer per checkpoint.
  const Status st =
      write_page_versions(f.path, f.identity->id, *f.cipher, next, /*sync_directory=*/false);
  if (!st.ok()) return table_error(f, st.error());  // still pending: its pages stay readable
  {
    std::lock_guard lock(f.identity->versions_mu);
    f.identity->versions = std::move(next);
  }
  f.epoch = 0;
  f.epoch_pages.clear();
  return SQLITE_OK;
}

}  // namespace dbvault::storage::vfs::internal
