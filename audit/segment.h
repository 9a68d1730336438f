// Internal to audit/: segment files and frames (docs/audit.md §4, format version 2).
// Thread-compatible: one object per thread.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <vector>

#include "audit/event.h"
#include "audit/keys.h"
#include "common/result.h"
#include "crypto/aead.h"

namespace dbvault::audit::internal {

inline constexpr std::size_t kSegmentHeaderSize = 64;
inline constexpr std::size_t kFrameHeaderSize = 24;
inline constexpr std::uint32_t kFormatVersion = 2;
// Frame header byte 5: the frame ends a durable write unit — the writer flushes it and then
// names its last seq in HEAD. Recovery needs it to prove a torn HEAD write (docs/audit.md §4).
inline constexpr std::uint8_t kFrameCommit = 1;
inline constexpr std::uint32_t kMaxSealedSize = 1 << 20;

enum class FrameKind : std::uint8_t { kRecord = 1, kGap = 2 };

// RAII file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// 58000 naming the operation and the file (never its contents).
Error io_error(std::string_view what, const std::filesystem::path& path, int err);
Status write_all(int fd, std::span<const std::uint8_t> bytes, std::uint64_t offset,
                 const std::filesystem::path& path);
Status sync_fd(int fd, const std::filesystem::path& path);
Status sync_dir(const std::filesystem::path& dir);
// An exclusive flock on the directory itself, held as long as the returned Fd lives: the one
// writer of an audit store takes it before reading anything, so a second writer (a second
// server, `dbvault audit recover` next to a server) is refused (55000) before it could mistake
// the first one's write in flight for a torn tail.
Result<Fd> lock_directory(const std::filesystem::path& dir);

struct SegmentHeader {
  std::uint32_t key_version = 0;
  std::uint64_t first_seq = 0;
  std::array<std::uint8_t, 32> salt{};
};

struct SegmentFile {
  std::filesystem::path path;
  std::uint64_t first_seq = 0;  // from the name
};

std::string segment_file_name(std::uint64_t first_seq);
// The segment files of `dir`, by first seq. Stray *.tmp files are ignored.
Result<std::vector<SegmentFile>> list_segments(const std::filesystem::path& dir);

// The AEAD of a segment (its key derived from enc_key and the segment's salt).
Result<crypto::Aead> segment_aead(const AuditKeys& keys, std::span<const std::uint8_t> salt);

struct Frame {
  FrameKind kind = FrameKind::kRecord;
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  bool commit = false;                // kFrameCommit
  std::uint64_t offset = 0;           // of the frame header in its file
  std::uint64_t size = 0;             // header + sealed payload
  std::vector<std::uint8_t> payload;  // plaintext
};

// Record payload: hash(32) || canonical JSON. Gap payload: checkpoint hash(32) || purge seq(8).
struct GapPayload {
  ChainHash checkpoint{};
  std::uint64_t purge_seq = 0;
};
std::vector<std::uint8_t> encode_gap(const GapPayload& gap);
Result<GapPayload> decode_gap(std::span<const std::uint8_t> payload);

// Appends header || sealed(payload) to `out` (the header, commit mark included, is the AEAD's
// associated data).
Status seal_frame(crypto::Aead& aead, FrameKind kind, std::uint64_t first_seq,
                  std::uint64_t last_seq, bool commit, std::span<const std::uint8_t> payload,
                  std::vector<std::uint8_t>& out);

// Reads the frames of one segment file in order.
class SegmentReader {
 public:
  // XX001 for a bad header (magic, version, name/first-seq mismatch); 58000 if unreadable.
  static Result<SegmentReader> open(const SegmentFile& file, const AuditKeys& keys);

  const SegmentHeader& header() const { return header_; }
  std::uint64_t file_size() const { return size_; }
  // The next frame; nullopt at the end of the data (zero length or end of file). XX001 when
  // the frame is malformed, runs past the end of the file or does not authenticate; the
  // reader stays at that frame (offset() is its offset).
  Result<std::optional<Frame>> next();
  std::uint64_t offset() const { return offset_; }

 private:
  SegmentReader(Fd fd, std::filesystem::path path, SegmentHeader header, crypto::Aead aead,
                std::uint64_t size);
  Fd fd_;
  std::filesystem::path path_;
  SegmentHeader header_;
  crypto::Aead aead_;
  std::uint64_t size_ = 0;
  std::uint64_t offset_ = kSegmentHeaderSize;
};

// Writes a new segment: header, then `capacity` bytes zero-filled, fsynced with its directory.
// On error the file is removed.
Result<Fd> create_segment_file(const std::filesystem::path& path, const SegmentHeader& header,
                               std::uint64_t capacity);
// Reads a segment header (for a writer continuing a segment).
Result<SegmentHeader> read_segment_header(int fd, const std::filesystem::path& path);

}  // namespace dbvault::audit::internal
