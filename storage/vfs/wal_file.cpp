// The WAL's read and write paths. A WAL is a 32-byte header (magic, version, page size,
// checkpoint sequence, salts, checksum) followed by frames: a 24-byte frame header (page
// number, database size after a commit, salts, checksum) and a page image.
//
// An image is sealed bound to its frame index and to its whole frame header (with the
// plaintext checksum), so a frame moved, renumbered, turned into or out of a commit, or moved
// to another WAL generation fails. The checksum, which SQLite computes over the plaintext page,
// is stored masked with a value derived from the image's nonce (docs/encryption.md).
//
// SQLite writes a new frame as its header, then its page: the header is held (PendingHeader)
// until the page arrives, and the frame is written image first, salts last (write_frame), so a
// crash never leaves a current header over a stale image. When SQLite rewrites a frame's
// checksum after reading the frame, the frame is sealed again with the new header. A frame torn
// by a crash is an uncommitted tail that recovery ignores, as SQLite does (uncommitted_tail).
#include <algorithm>
#include <cstring>

#include "storage/vfs/tde_file.h"

namespace dbvault::storage::vfs::internal {
namespace {

constexpr std::size_t kChecksumOffset = 16;  // within a frame header
constexpr std::size_t kSaltOffset = 8;
constexpr std::size_t kWalSaltOffset = 16;  // within the WAL header
using FrameHeader = std::array<std::uint8_t, kFrameHeaderSize>;
using Stamp = std::array<std::uint8_t, PageCipher::kStampSize>;  // an image's stamp

bool valid_page_size(std::uint32_t size) {
  return size >= 512 && size <= 65536 && (size & (size - 1)) == 0;
}

std::uint32_t wal_page_size(TdeFile& f) {
  if (f.wal_page_size != 0) return f.wal_page_size;
  std::array<std::uint8_t, kWalHeaderSize> h{};
  if (read_exact(f, h, 0) == SQLITE_OK && valid_page_size(load_be32(h.data() + 8))) {
    f.wal_page_size = load_be32(h.data() + 8);
  }
  return f.wal_page_size;
}

struct FrameSpot {
  std::uint64_t index = 0;   // 0-based frame number
  std::uint64_t within = 0;  // offset inside the frame
  sqlite3_int64 start = 0;   // offset of the frame header
};

std::optional<FrameSpot> spot_of(std::uint32_t page_size, sqlite3_int64 off) {
  if (page_size == 0 || off < static_cast<sqlite3_int64>(kWalHeaderSize)) return std::nullopt;
  const auto rel = static_cast<std::uint64_t>(off) - kWalHeaderSize;
  const std::uint64_t frame = page_size + kFrameHeaderSize;
  return FrameSpot{rel / frame, rel % frame, off - static_cast<sqlite3_int64>(rel % frame)};
}

PagePlace frame_place(std::span<const std::uint8_t> header, std::uint64_t index) {
  return PagePlace{PageKind::kWal, load_be32(header.data()), index, header.first(kFrameHeaderSize)};
}

// XORs the frame header's checksum with the mask bound to `stamp` (key version and nonce; its
// own inverse).
int apply_mask(TdeFile& f, std::span<std::uint8_t> header, std::span<const std::uint8_t> stamp) {
  std::array<std::uint8_t, 8> m{};
  if (!f.cipher->mask(stamp, m).ok())
    return f.fail(SQLITE_IOERR, ": cannot derive a checksum mask");
  for (std::size_t i = 0; i < m.size(); ++i) header[kChecksumOffset + i] ^= m[i];
  return SQLITE_OK;
}

Stamp stamp_copy(std::span<const std::uint8_t> image) {
  Stamp n{};
  const auto src = PageCipher::stamp_of(image);
  std::copy(src.begin(), src.end(), n.begin());
  return n;
}

// The stamp (key version, nonce) of the image stored after the frame header at `start` (zeros
// if none yet).
int stored_stamp(TdeFile& f, sqlite3_int64 start, std::uint32_t page_size, Stamp& stamp) {
  const auto at = start + static_cast<sqlite3_int64>(kFrameHeaderSize + page_size - kReservedBytes);
  const int rc = read_exact(f, stamp, at);
  return rc == SQLITE_IOERR_SHORT_READ ? SQLITE_OK : rc;  // short: zero-filled
}

int frame_failure(TdeFile& f, const FrameSpot& spot, const char* why) {
  return f.fail(SQLITE_IOERR_DATA, ": WAL frame " + std::to_string(spot.index + 1) + " " + why);
}

// Seals `page` bound to `header` (plaintext checksum) and writes the whole frame at spot.start.
int write_frame(TdeFile& f, FrameHeader header, std::span<const std::uint8_t> page,
                const FrameSpot& spot) {
  auto out = f.scratch_of(kFrameHeaderSize + page.size());
  auto image = out.subspan(kFrameHeaderSize);
  if (!f.cipher->seal(page, image, f.identity->id, frame_place(header, spot.index)).ok()) {
    return f.fail(SQLITE_IOERR_WRITE, ": cannot encrypt a WAL frame");
  }
  int rc = apply_mask(f, header, PageCipher::stamp_of(image));
  if (rc != SQLITE_OK) return rc;
  std::copy(header.begin(), header.end(), out.begin());
  // Checksum and image first, then page number, commit size and salts: a write cut short by a
  // crash (SIGKILL can cut a write between two memory pages) leaves the frame with the salts it
  // had, those of an older generation, which SQLite and read_whole_frame take as the log's end.
  // A frame of the current generation is thus never torn, except when it is rewritten in place
  // (rewrite_image, a checksum rewrite): those frames are not committed yet (uncommitted_tail).
  const auto tail = out.subspan(kChecksumOffset);
  rc = f.write_real(tail.data(), static_cast<int>(tail.size()),
                    spot.start + static_cast<sqlite3_int64>(kChecksumOffset));
  return rc != SQLITE_OK ? rc
                         : f.write_real(out.data(), static_cast<int>(kChecksumOffset), spot.start);
}

// A page written without a held header: SQLite overwrote a frame of the current transaction
// (it rewrites the checksums later).
int rewrite_image(TdeFile& f, std::span<const std::uint8_t> page, const FrameSpot& spot) {
  FrameHeader header{};
  Stamp old_stamp{};
  int rc = read_exact(f, header, spot.start);
  if (rc == SQLITE_OK)
    rc = stored_stamp(f, spot.start, static_cast<std::uint32_t>(page.size()), old_stamp);
  if (rc == SQLITE_IOERR_SHORT_READ)
    return f.fail(SQLITE_IOERR_WRITE, ": a WAL frame has no header");
  if (rc == SQLITE_OK) rc = apply_mask(f, header, old_stamp);
  return rc != SQLITE_OK ? rc : write_frame(f, header, page, spot);
}

// True if `image` authenticates when its header carries `salts` instead of its own.
bool opens_with_salts(TdeFile& f, std::span<const std::uint8_t> header,
                      std::span<const std::uint8_t> image, std::span<const std::uint8_t> salts,
                      const FrameSpot& spot) {
  FrameHeader h{};
  std::copy(header.begin(), header.end(), h.begin());
  std::copy(salts.begin(), salts.end(), h.begin() + kSaltOffset);
  auto copy = f.scratch_of(image.size());
  std::copy(image.begin(), image.end(), copy.begin());
  const bool ok = f.cipher->open(copy, f.identity->id, frame_place(h, spot.index)).ok();
  std::fill(copy.begin(), copy.end(), 0);
  return ok;
}

bool is_commit(std::span<const std::uint8_t> header) { return load_be32(header.data() + 4) != 0; }

// True if a frame after `spot` of the generation `salts` (those that follow it without a gap) is
// a commit frame that authenticates: the frame at `spot` is then part of a committed
// transaction.
bool later_commit_authenticates(TdeFile& f, const FrameSpot& spot,
                                std::span<const std::uint8_t> salts) {
  const std::size_t size = kFrameHeaderSize + f.wal_page_size;
  std::vector<std::uint8_t> frame(size);
  const auto header = std::span<std::uint8_t>(frame).first(kFrameHeaderSize);
  const auto image = std::span<std::uint8_t>(frame).subspan(kFrameHeaderSize);
  bool found = false;
  for (FrameSpot next{spot.index + 1, 0, spot.start + static_cast<sqlite3_int64>(size)};
       !found && read_exact(f, frame, next.start) == SQLITE_OK;
       next = FrameSpot{next.index + 1, 0, next.start + static_cast<sqlite3_int64>(size)}) {
    if (apply_mask(f, header, stamp_copy(image)) != SQLITE_OK ||
        !std::equal(salts.begin(), salts.end(), header.begin() + kSaltOffset))
      break;
    found = is_commit(header) &&
            f.cipher->open(image, f.identity->id, frame_place(header, next.index)).ok();
  }
  std::fill(frame.begin(), frame.end(), 0);
  return found;
}

// A frame of the current generation that does not authenticate, read by recovery. SQLite ends
// the log at the first frame whose checksum fails and keeps only what the last valid commit
// frame before it covers. A crash can tear a frame only where it is rewritten in place, inside
// the transaction being written (write_frame), so the frame is an uncommitted tail if it is
// not a commit frame and no commit frame of its generation that authenticates follows it.
// That tail is handed to SQLite as a zeroed frame, which ends the log there (as its checksum
// would); anything else is an integrity error. (Cutting a WAL after a commit frame, or turning
// the last commit frame into a non-commit one, drops the last transactions: docs/encryption.md
// §6, "rolling back the WAL's tail".)
int uncommitted_tail(TdeFile& f, std::span<std::uint8_t> frame, const FrameSpot& spot,
                     std::span<const std::uint8_t> salts) {
  if (is_commit(frame) || later_commit_authenticates(f, spot, salts)) {
    return frame_failure(f, spot, "failed authentication (wrong key, or altered or moved)");
  }
  std::fill(frame.begin(), frame.end(), 0);
  return SQLITE_OK;
}

// True if a frame with older salts was given them by hand: its image authenticates under the
// current salts, and a commit frame of the current generation that authenticates follows it. A
// crash between write_frame's two writes leaves the first half of that state, the new image
// under the old salts, but only at the log's end, where dropping the frame loses no commit.
bool salts_altered(TdeFile& f, std::span<const std::uint8_t> header,
                   std::span<const std::uint8_t> image, std::span<const std::uint8_t> salts,
                   const FrameSpot& spot) {
  return opens_with_salts(f, header, image, salts, spot) &&
         later_commit_authenticates(f, spot, salts);
}

// A whole frame read: recovery. A frame of an older WAL generation is left for SQLite to reject
// by its salts (its image zeroed), unless its salts were altered; a frame of this generation
// must authenticate.
int read_whole_frame(TdeFile& f, std::span<std::uint8_t> frame, const FrameSpot& spot) {
  std::array<std::uint8_t, kWalHeaderSize> wal_header{};
  int rc = read_exact(f, wal_header, 0);
  if (rc != SQLITE_OK) return rc;
  auto header = frame.first(kFrameHeaderSize);
  auto image = frame.subspan(kFrameHeaderSize);
  rc = apply_mask(f, header, stamp_copy(image));
  if (rc != SQLITE_OK) return rc;
  const auto salts = std::span<const std::uint8_t>(wal_header).subspan(kWalSaltOffset, 8);
  if (!std::equal(salts.begin(), salts.end(), header.begin() + kSaltOffset)) {
    if (salts_altered(f, header, image, salts, spot)) {
      return frame_failure(f, spot, "had its salts altered");
    }
    std::fill(image.begin(), image.end(), 0);
    return SQLITE_OK;
  }
  if (!f.cipher->open(image, f.identity->id, frame_place(header, spot.index)).ok()) {
    return uncommitted_tail(f, frame, spot, salts);
  }
  f.last_frame_read = spot.start;
  f.last_frame_plain.assign(image.begin(), image.end());
  return SQLITE_OK;
}

// A page read (a reader or a checkpoint), bound to its own frame header. One read of the whole
// frame into the scratch buffer (a copy of the page costs less than a second system call).
int read_image(TdeFile& f, std::span<std::uint8_t> image, const FrameSpot& spot) {
  FrameHeader header{};
  auto frame = f.scratch_of(kFrameHeaderSize + image.size());
  int rc = read_exact(f, frame, spot.start);
  if (rc == SQLITE_OK) {
    std::copy_n(frame.begin(), kFrameHeaderSize, header.begin());
    std::copy(frame.begin() + kFrameHeaderSize, frame.end(), image.begin());
  }
  if (rc == SQLITE_IOERR_SHORT_READ) return frame_failure(f, spot, "is truncated");
  if (rc == SQLITE_OK) rc = apply_mask(f, header, stamp_copy(image));
  if (rc != SQLITE_OK) return rc;
  if (!f.cipher->open(image, f.identity->id, frame_place(header, spot.index)).ok()) {
    return frame_failure(f, spot, "failed authentication (wrong key, or altered or moved)");
  }
  return SQLITE_OK;
}

void forget_frame(TdeFile& f) {
  std::fill(f.last_frame_plain.begin(), f.last_frame_plain.end(), 0);
  f.last_frame_plain.clear();
  f.last_frame_read = -1;
}

// A frame header written alone.
int write_header(TdeFile& f, std::span<const std::uint8_t> in, const FrameSpot& spot) {
  FrameHeader header{};
  std::copy(in.begin(), in.end(), header.begin());
  if (f.last_frame_read == spot.start && f.last_frame_plain.size() == f.wal_page_size) {
    // A checksum rewrite of the frame just read: seal its image again, bound to the new header.
    std::vector<std::uint8_t> plain;
    plain.swap(f.last_frame_plain);
    f.last_frame_read = -1;
    const int rc = write_frame(f, header, plain, spot);
    std::fill(plain.begin(), plain.end(), 0);
    return rc;
  }
  forget_frame(f);
  f.pending = TdeFile::PendingHeader{spot.start, header};
  return SQLITE_OK;
}

}  // namespace

int wal_flush(TdeFile& f) {
  if (!f.pending) return SQLITE_OK;
  auto p = *f.pending;
  f.pending.reset();
  // A header without its page: SQLite never does this; the frame will fail authentication.
  Stamp stamp{};
  int rc = stored_stamp(f, p.offset, wal_page_size(f), stamp);
  if (rc == SQLITE_OK) rc = apply_mask(f, p.bytes, stamp);
  return rc != SQLITE_OK ? rc : f.write_real(p.bytes.data(), kFrameHeaderSize, p.offset);
}

int wal_read(TdeFile& f, void* buf, int amt, sqlite3_int64 off) {
  int rc = wal_flush(f);
  if (rc != SQLITE_OK) return rc;
  auto out =
      std::span<std::uint8_t>(static_cast<std::uint8_t*>(buf), static_cast<std::size_t>(amt));
  if (off == 0 && out.size() == kWalHeaderSize) {
    rc = f.read_real(buf, amt, off);
    if (rc == SQLITE_OK && valid_page_size(load_be32(out.data() + 8)))
      f.wal_page_size = load_be32(out.data() + 8);
    return rc;
  }
  const std::uint32_t page_size = wal_page_size(f);
  const auto spot = spot_of(page_size, off);
  if (spot && spot->within == 0 && out.size() == page_size + kFrameHeaderSize) {
    rc = f.read_real(buf, amt, off);
    return rc != SQLITE_OK ? rc : read_whole_frame(f, out, *spot);
  }
  if (spot && spot->within == kFrameHeaderSize && out.size() == page_size) {
    return read_image(f, out, *spot);
  }
  if (spot && spot->within == 0 && out.size() == kFrameHeaderSize) {
    Stamp stamp{};
    rc = f.read_real(buf, amt, off);
    if (rc == SQLITE_OK) rc = stored_stamp(f, off, page_size, stamp);
    return rc != SQLITE_OK ? rc : apply_mask(f, out, stamp);
  }
  return f.fail(SQLITE_IOERR_READ, ": unexpected WAL read shape");
}

int wal_write(TdeFile& f, const void* buf, int amt, sqlite3_int64 off) {
  auto in = std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(buf),
                                          static_cast<std::size_t>(amt));
  const bool is_wal_header = off == 0 && in.size() == kWalHeaderSize;
  const auto spot = is_wal_header ? std::nullopt : spot_of(wal_page_size(f), off);
  const std::uint32_t page_size = f.wal_page_size;
  if (spot && spot->within == kFrameHeaderSize && in.size() == page_size) {
    if (f.last_frame_read == spot->start) forget_frame(f);
    if (f.pending && f.pending->offset == spot->start) {
      const FrameHeader header = f.pending->bytes;
      f.pending.reset();
      return write_frame(f, header, in, *spot);
    }
    const int rc = wal_flush(f);
    return rc != SQLITE_OK ? rc : rewrite_image(f, in, *spot);
  }
  const int rc = wal_flush(f);
  if (rc != SQLITE_OK) return rc;
  if (is_wal_header) {
    const int grc = wal_guard_new_generation(f, in);
    if (grc != SQLITE_OK) return grc;
    if (valid_page_size(load_be32(in.data() + 8))) f.wal_page_size = load_be32(in.data() + 8);
    forget_frame(f);
    return f.write_real(buf, amt, off);
  }
  if (spot && spot->within == 0 && in.size() == kFrameHeaderSize) return write_header(f, in, *spot);
  return f.fail(SQLITE_IOERR_WRITE, ": unexpected WAL write shape");
}

}  // namespace dbvault::storage::vfs::internal
