#include "audit/segment.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "crypto/kdf.h"

namespace dbvault::audit::internal {
namespace {

constexpr char kSegmentMagic[8] = {'D', 'B', 'V', 'A', 'U', 'D', 'T', '1'};

void put_u32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void put_u64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint32_t get_u32(const std::uint8_t* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | p[i];
  return v;
}
std::uint64_t get_u64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

Error corrupt(const std::filesystem::path& path, std::uint64_t offset, std::string what) {
  return make_error(sqlstate::kDataCorrupted, "audit segment " + path.filename().string() +
                                                  " offset " + std::to_string(offset) + ": " +
                                                  std::move(what));
}

Status read_exact(int fd, std::span<std::uint8_t> out, std::uint64_t offset,
                  const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n =
        ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("read", path, errno);
    if (n == 0) return corrupt(path, offset, "unexpected end of file");
    done += static_cast<std::size_t>(n);
  }
  return ok_status();
}

}  // namespace

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

Error io_error(std::string_view what, const std::filesystem::path& path, int err) {
  return make_error(sqlstate::kSystemError, "audit log unavailable: cannot " + std::string(what) +
                                                " " + path.string() + ": " + std::strerror(err));
}

Status write_all(int fd, std::span<const std::uint8_t> bytes, std::uint64_t offset,
                 const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("write", path, errno);
    done += static_cast<std::size_t>(n);
  }
  return ok_status();
}

Status sync_fd(int fd, const std::filesystem::path& path) {
  if (::fdatasync(fd) != 0) return io_error("sync", path, errno);
  return ok_status();
}

Status sync_dir(const std::filesystem::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return io_error("open", dir, errno);
  if (::fsync(fd.get()) != 0) return io_error("sync", dir, errno);
  return ok_status();
}

std::string segment_file_name(std::uint64_t first_seq) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "seg-%020llu.log", static_cast<unsigned long long>(first_seq));
  return buf;
}

Result<std::vector<SegmentFile>> list_segments(const std::filesystem::path& dir) {
  std::vector<SegmentFile> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() != 28 || !name.starts_with("seg-") || !name.ends_with(".log")) continue;
    const std::string digits = name.substr(4, 20);
    if (!std::all_of(digits.begin(), digits.end(), ::isdigit)) continue;
    out.push_back({it->path(), std::stoull(digits)});
  }
  if (ec) return io_error("list", dir, ec.value());
  std::sort(out.begin(), out.end(),
            [](const SegmentFile& a, const SegmentFile& b) { return a.first_seq < b.first_seq; });
  return out;
}

Result<crypto::Aead> segment_aead(const AuditKeys& keys, std::span<const std::uint8_t> salt) {
  static constexpr std::string_view kInfo = "dbvault audit segment v1";
  auto key = crypto::hkdf_sha256(
      keys.enc_key, salt, {reinterpret_cast<const std::uint8_t*>(kInfo.data()), kInfo.size()}, 32);
  if (!key) return std::move(key).error();
  return crypto::Aead::create(crypto::AeadAlgorithm::kAes256Gcm, *key);
}

std::vector<std::uint8_t> encode_gap(const GapPayload& gap) {
  std::vector<std::uint8_t> out(40);
  std::copy(gap.checkpoint.begin(), gap.checkpoint.end(), out.begin());
  put_u64(out.data() + 32, gap.purge_seq);
  return out;
}

Result<GapPayload> decode_gap(std::span<const std::uint8_t> payload) {
  if (payload.size() != 40) {
    return make_error(sqlstate::kDataCorrupted, "audit gap frame has a bad size");
  }
  GapPayload gap;
  std::copy(payload.begin(), payload.begin() + 32, gap.checkpoint.begin());
  gap.purge_seq = get_u64(payload.data() + 32);
  return gap;
}

Status seal_frame(crypto::Aead& aead, FrameKind kind, std::uint64_t first_seq,
                  std::uint64_t last_seq, bool commit, std::span<const std::uint8_t> payload,
                  std::vector<std::uint8_t>& out) {
  const std::size_t sealed = payload.size() + crypto::kAeadOverhead;
  if (sealed > kMaxSealedSize) {
    return make_error(sqlstate::kInvalidParameterValue, "audit record too large");
  }
  const std::size_t start = out.size();
  out.resize(start + kFrameHeaderSize + sealed);
  std::uint8_t* h = out.data() + start;
  put_u32(h, static_cast<std::uint32_t>(sealed));
  h[4] = static_cast<std::uint8_t>(kind);
  h[5] = commit ? kFrameCommit : 0;
  h[6] = h[7] = 0;
  put_u64(h + 8, first_seq);
  put_u64(h + 16, last_seq);
  auto st = aead.seal_into(payload, {h, kFrameHeaderSize}, {h + kFrameHeaderSize, sealed});
  if (!st) out.resize(start);
  return st;
}

SegmentReader::SegmentReader(Fd fd, std::filesystem::path path, SegmentHeader header,
                             crypto::Aead aead, std::uint64_t size)
    : fd_(std::move(fd)),
      path_(std::move(path)),
      header_(header),
      aead_(std::move(aead)),
      size_(size) {}

Result<SegmentHeader> read_segment_header(int fd, const std::filesystem::path& path) {
  std::uint8_t h[kSegmentHeaderSize];
  DBV_RETURN_IF_ERROR(read_exact(fd, h, 0, path));
  if (std::memcmp(h, kSegmentMagic, 8) != 0) return corrupt(path, 0, "bad magic");
  const std::uint32_t version = get_u32(h + 8);
  if (version == 1) {
    return make_error(sqlstate::kFeatureNotSupported,
                      "audit segment " + path.filename().string() +
                          " has format version 1, which this build refuses: it cannot tell a "
                          "truncated version-1 store from an intact one (docs/audit.md §4)");
  }
  if (version != kFormatVersion) return corrupt(path, 8, "unknown format version");
  SegmentHeader header;
  header.key_version = get_u32(h + 12);
  header.first_seq = get_u64(h + 16);
  std::copy(h + 24, h + 56, header.salt.begin());
  return header;
}

Result<SegmentReader> SegmentReader::open(const SegmentFile& file, const AuditKeys& keys) {
  Fd fd(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return io_error("open", file.path, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return io_error("stat", file.path, errno);
  auto header = read_segment_header(fd.get(), file.path);
  if (!header) return std::move(header).error();
  if (header->first_seq != file.first_seq)
    return corrupt(file.path, 16, "first seq differs from the name");
  if (header->key_version != keys.tek_version) {
    return make_error(sqlstate::kSystemError, "audit segment " + file.path.filename().string() +
                                                  " uses audit TEK version " +
                                                  std::to_string(header->key_version) +
                                                  ", which is not loaded");
  }
  auto aead = segment_aead(keys, header->salt);
  if (!aead) return std::move(aead).error();
  return SegmentReader(std::move(fd), file.path, *header, std::move(*aead),
                       static_cast<std::uint64_t>(st.st_size));
}

Result<std::optional<Frame>> SegmentReader::next() {
  if (offset_ + kFrameHeaderSize > size_) {
    if (offset_ == size_) return std::optional<Frame>();
    // A partial header: zeros are the end of the data, anything else a torn frame.
    std::vector<std::uint8_t> rest(size_ - offset_);
    DBV_RETURN_IF_ERROR(read_exact(fd_.get(), rest, offset_, path_));
    if (std::all_of(rest.begin(), rest.end(), [](std::uint8_t b) { return b == 0; })) {
      return std::optional<Frame>();
    }
    return corrupt(path_, offset_, "truncated frame header");
  }
  std::uint8_t h[kFrameHeaderSize];
  DBV_RETURN_IF_ERROR(read_exact(fd_.get(), h, offset_, path_));
  const std::uint32_t sealed = get_u32(h);
  if (sealed == 0) {
    if (std::all_of(h, h + kFrameHeaderSize, [](std::uint8_t b) { return b == 0; })) {
      return std::optional<Frame>();
    }
    return corrupt(path_, offset_, "malformed frame header");
  }
  Frame frame;
  frame.kind = static_cast<FrameKind>(h[4]);
  frame.commit = (h[5] & kFrameCommit) != 0;
  frame.first_seq = get_u64(h + 8);
  frame.last_seq = get_u64(h + 16);
  frame.offset = offset_;
  frame.size = kFrameHeaderSize + sealed;
  if ((h[4] != 1 && h[4] != 2) || (h[5] & ~kFrameCommit) || h[6] || h[7] ||
      sealed < crypto::kAeadOverhead || sealed > kMaxSealedSize ||
      frame.last_seq < frame.first_seq ||
      (frame.kind == FrameKind::kRecord && frame.last_seq != frame.first_seq)) {
    return corrupt(path_, offset_, "malformed frame header");
  }
  if (offset_ + frame.size > size_) return corrupt(path_, offset_, "frame runs past the end");
  std::vector<std::uint8_t> sealed_bytes(sealed);
  DBV_RETURN_IF_ERROR(read_exact(fd_.get(), sealed_bytes, offset_ + kFrameHeaderSize, path_));
  frame.payload.resize(sealed - crypto::kAeadOverhead);
  if (!aead_.open_into(sealed_bytes, {h, kFrameHeaderSize}, frame.payload)) {
    return corrupt(path_, offset_, "frame does not authenticate");
  }
  offset_ += frame.size;
  return std::optional<Frame>(std::move(frame));
}

Result<Fd> lock_directory(const std::filesystem::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return io_error("open", dir, errno);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return io_error("lock", dir, errno);
    return make_error(sqlstate::kObjectNotInPrerequisiteState,
                      "audit store " + dir.string() + " is open for writing by another process");
  }
  return fd;
}

Result<Fd> create_segment_file(const std::filesystem::path& path, const SegmentHeader& header,
                               std::uint64_t capacity) {
  Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) return io_error("create", path, errno);
  auto fail = [&](Error e) -> Error {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    return e;
  };
  std::vector<std::uint8_t> h(kSegmentHeaderSize, 0);
  std::memcpy(h.data(), kSegmentMagic, 8);
  put_u32(h.data() + 8, kFormatVersion);
  put_u32(h.data() + 12, header.key_version);
  put_u64(h.data() + 16, header.first_seq);
  std::copy(header.salt.begin(), header.salt.end(), h.begin() + 24);
  if (auto s = write_all(fd.get(), h, 0, path); !s) return fail(std::move(s).error());
  // Written zeros (not a sparse extent): later fdatasyncs then commit no size metadata.
  const std::vector<std::uint8_t> zeros(1 << 20, 0);
  for (std::uint64_t off = kSegmentHeaderSize; off < capacity; off += zeros.size()) {
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), capacity - off));
    if (auto s = write_all(fd.get(), {zeros.data(), n}, off, path); !s) {
      return fail(std::move(s).error());
    }
  }
  if (::fsync(fd.get()) != 0) return fail(io_error("sync", path, errno));
  if (auto s = sync_dir(path.parent_path()); !s) return fail(std::move(s).error());
  return fd;
}

}  // namespace dbvault::audit::internal
