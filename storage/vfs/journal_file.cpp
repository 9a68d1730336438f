// The rollback journal's read and write paths. A journal is a header (at offsets that are
// multiples of the sector size, so multiples of 8) followed by records: page number (4 bytes),
// page image (page size), checksum (4 bytes). A record's image therefore starts at an offset
// that is 4 modulo 8, which no header does: that, and its size, tell an image from the rest.
//
// An image is sealed bound to its offset, its page number and its record's checksum (SQLite's
// sum of sampled plaintext bytes, which decides how far SQLite plays the journal back, so an
// altered checksum is an integrity error rather than a silently shortened rollback). SQLite
// writes the image, then the checksum: the image is held (PendingImage) and both are written in
// one call. The checksum is stored masked with a value bound to the image's nonce. Headers and
// page numbers stay as SQLite wrote them (docs/encryption.md says what they reveal).
#include <algorithm>
#include <array>

#include "storage/vfs/tde_file.h"

namespace dbvault::storage::vfs::internal {
namespace {

using Checksum = std::array<std::uint8_t, 4>;

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

// XORs a record checksum with the mask bound to its image's stamp (key version, nonce; its own
// inverse).
int apply_mask(TdeFile& f, std::span<const std::uint8_t> stamp, Checksum& checksum) {
  std::array<std::uint8_t, 8> m{};
  if (!f.cipher->mask(stamp, m).ok())
    return f.fail(SQLITE_IOERR, ": cannot derive a checksum mask");
  for (std::size_t i = 0; i < checksum.size(); ++i) checksum[i] ^= m[i];
  return SQLITE_OK;
}

// Page number and plaintext checksum, the bytes an image is bound to.
std::array<std::uint8_t, 8> bound_bytes(std::uint32_t pgno, const Checksum& checksum) {
  std::array<std::uint8_t, 8> b{};
  store_be32(b.data(), pgno);
  std::copy(checksum.begin(), checksum.end(), b.begin() + 4);
  return b;
}

// Seals the held image bound to `checksum` and writes image and masked checksum at once.
int write_record(TdeFile& f, Checksum checksum) {
  TdeFile::PendingImage p = std::move(*f.pending_image);
  f.pending_image.reset();
  auto out = f.scratch_of(p.plain.size() + checksum.size());
  auto image = out.first(p.plain.size());
  const auto bound = bound_bytes(p.page_number, checksum);
  const PagePlace place{PageKind::kJournal, p.page_number, static_cast<std::uint64_t>(p.offset),
                        bound};
  const bool sealed = f.cipher->seal(p.plain, image, f.identity->id, place).ok();
  std::fill(p.plain.begin(), p.plain.end(), 0);
  if (!sealed) return f.fail(SQLITE_IOERR_WRITE, ": cannot encrypt a journal record");
  int rc = apply_mask(f, PageCipher::stamp_of(image), checksum);
  if (rc != SQLITE_OK) return rc;
  std::copy(checksum.begin(), checksum.end(),
            out.begin() + static_cast<std::ptrdiff_t>(image.size()));
  return f.write_real(out.data(), static_cast<int>(out.size()), p.offset);
}

int image_failure(const TdeFile& f, sqlite3_int64 off) {
  return f.fail(SQLITE_IOERR_DATA, ": the journal record at offset " + std::to_string(off) +
                                       " failed authentication (wrong key, or altered or moved)");
}

}  // namespace

int journal_flush(TdeFile& f) {
  if (!f.pending_image) return SQLITE_OK;
  // An image without its checksum: SQLite never does this; the record will fail authentication.
  return write_record(f, Checksum{});
}

int journal_read(TdeFile& f, void* buf, int amt, sqlite3_int64 off) {
  int rc = journal_flush(f);
  if (rc != SQLITE_OK) return rc;
  if (amt == 4 && off == f.last_image_end) {  // the checksum of the record just read
    std::copy(f.last_checksum.begin(), f.last_checksum.end(), static_cast<std::uint8_t*>(buf));
    f.last_image_end = -1;
    return SQLITE_OK;
  }
  if (!is_image(f, amt, off)) return f.read_real(buf, amt, off);
  auto page =
      std::span<std::uint8_t>(static_cast<std::uint8_t*>(buf), static_cast<std::size_t>(amt));
  Checksum checksum{};
  rc = f.read_real(buf, amt, off);
  if (rc == SQLITE_OK) rc = read_exact(f, checksum, off + amt);
  if (rc != SQLITE_OK) return rc;  // a short read is a journal cut short: SQLite stops there
  std::uint32_t pgno = 0;
  rc = record_page_number(f, off, &pgno);
  if (rc != SQLITE_OK) return f.fail(rc, ": cannot read a record's page number");
  rc = apply_mask(f, PageCipher::stamp_of(page), checksum);
  if (rc != SQLITE_OK) return rc;
  const auto bound = bound_bytes(pgno, checksum);
  const PagePlace place{PageKind::kJournal, pgno, static_cast<std::uint64_t>(off), bound};
  if (!f.cipher->open(page, f.identity->id, place).ok()) return image_failure(f, off);
  f.last_image_end = off + amt;
  f.last_checksum = checksum;
  return SQLITE_OK;
}

int journal_write(TdeFile& f, const void* buf, int amt, sqlite3_int64 off) {
  const auto* in = static_cast<const std::uint8_t*>(buf);
  f.last_image_end = -1;
  if (amt == 4 && f.pending_image &&
      off == f.pending_image->offset + static_cast<sqlite3_int64>(f.pending_image->plain.size())) {
    Checksum checksum{};
    std::copy_n(in, checksum.size(), checksum.begin());
    return write_record(f, checksum);
  }
  int rc = journal_flush(f);
  if (rc != SQLITE_OK) return rc;
  if (amt == 4) {
    f.last_small_offset = off;
    f.last_small_value = load_be32(in);
  }
  if (!is_image(f, amt, off)) return f.write_real(buf, amt, off);
  std::uint32_t pgno = 0;
  rc = record_page_number(f, off, &pgno);
  if (rc != SQLITE_OK) return f.fail(rc, ": cannot read a record's page number");
  f.pending_image = TdeFile::PendingImage{off, pgno, std::vector<std::uint8_t>(in, in + amt)};
  return SQLITE_OK;
}

}  // namespace dbvault::storage::vfs::internal
