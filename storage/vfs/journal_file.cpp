// The rollback journal's read and write paths. A journal is a header (at offsets that are
// multiples of the sector size, so multiples of 8) followed by records: page number (4 bytes),
// page image (page size), checksum (4 bytes). A record's image therefore starts at an offset
// that is 4 modulo 8, which no header does: that, and its size, tell an image from the rest.
// Images are sealed bound to their offset and page number; headers, page numbers and
// checksums stay as SQLite wrote them (docs/encryption.md says what they reveal).
#include <array>

#include "storage/vfs/tde_file.h"

namespace dbvault::storage::vfs::internal {
namespace {

bool is_image(const TdeFile& f, int amt, sqlite3_int64 off) {
  const std::uint32_t page_size = f.identity->page_size.load();
  return page_size != 0 && static_cast<std::uint32_t>(amt) == page_size && off >= 4 && off % 8 == 4;
}

// The page number written just before the image at `off`.
int record_page_number(const TdeFile& f, sqlite3_int64 off, std::uint32_t* out) {
  if (f.last_small_offset == off - 4) {
    *out = f.last_small_value;
    return SQLITE_OK;
  }
  std::array<std::uint8_t, 4> be{};
  const int rc = read_exact(f, be, off - 4);
  if (rc != SQLITE_OK) return rc == SQLITE_IOERR_SHORT_READ ? SQLITE_IOERR_DATA : rc;
  *out = load_be32(be.data());
  return SQLITE_OK;
}

PagePlace journal_place(std::uint32_t pgno, sqlite3_int64 off) {
  return PagePlace{PageKind::kJournal, pgno, static_cast<std::uint64_t>(off), {}};
}

}  // namespace

int journal_read(TdeFile& f, void* buf, int amt, sqlite3_int64 off) {
  if (!is_image(f, amt, off)) return f.read_real(buf, amt, off);
  int rc = f.read_real(buf, amt, off);
  if (rc != SQLITE_OK) return rc;  // a short read is a journal cut short: SQLite stops there
  std::uint32_t pgno = 0;
  rc = record_page_number(f, off, &pgno);
  if (rc != SQLITE_OK) return f.fail(rc, ": cannot read a record's page number");
  auto page =
      std::span<std::uint8_t>(static_cast<std::uint8_t*>(buf), static_cast<std::size_t>(amt));
  if (!f.cipher->open(page, f.identity->id, journal_place(pgno, off)).ok()) {
    return f.fail(SQLITE_IOERR_DATA, ": the journal record at offset " + std::to_string(off) +
                                         " failed authentication (wrong key, or altered or moved)");
  }
  return SQLITE_OK;
}

int journal_write(TdeFile& f, const void* buf, int amt, sqlite3_int64 off) {
  if (amt == 4) {
    f.last_small_offset = off;
    f.last_small_value = load_be32(static_cast<const std::uint8_t*>(buf));
  }
  if (!is_image(f, amt, off)) return f.write_real(buf, amt, off);
  std::uint32_t pgno = 0;
  const int rc = record_page_number(f, off, &pgno);
  if (rc != SQLITE_OK) return f.fail(rc, ": cannot read a record's page number");
  auto in = std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(buf),
                                          static_cast<std::size_t>(amt));
  auto out = f.scratch_of(in.size());
  if (!f.cipher->seal(in, out, f.identity->id, journal_place(pgno, off)).ok()) {
    return f.fail(SQLITE_IOERR_WRITE, ": cannot encrypt a journal record");
  }
  return f.write_real(out.data(), amt, off);
}

}  // namespace dbvault::storage::vfs::internal
