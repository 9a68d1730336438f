#include "storage/vfs/wal_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>

namespace dbvault::storage::vfs {
namespace {

constexpr std::array<std::uint8_t, 8> kMagic = {'D', 'B', 'V', 'T', 'W', 'A', 'L', '1'};
constexpr std::size_t kBodySize = 40;
constexpr std::size_t kRecordSize = kBodySize + 32;
using Record = std::array<std::uint8_t, kRecordSize>;

Error io_error(const std::string& path, std::string_view what) {
  return make_error(sqlstate::kIoError,
                    "cannot " + std::string(what) + " the WAL state " + path + ": " +
                        std::error_code(errno, std::generic_category()).message());
}

void encode_body(const FileId& id, const WalState& s, std::span<std::uint8_t> out) {
  std::fill(out.begin(), out.end(), 0);
  auto p = std::copy(kMagic.begin(), kMagic.end(), out.begin());
  p = std::copy(id.begin(), id.end(), p);
  *p = static_cast<std::uint8_t>(s.phase);
  std::copy(s.salts.begin(), s.salts.end(), out.begin() + 24);
  std::copy(s.previous.begin(), s.previous.end(), out.begin() + 32);
}

std::uint32_t word(const std::uint8_t* p, bool big_endian) {
  return big_endian ? load_be32(p)
                    : (std::uint32_t{p[3]} << 24) | (std::uint32_t{p[2]} << 16) |
                          (std::uint32_t{p[1]} << 8) | p[0];
}

}  // namespace

Status replace_file_durably(const std::string& path, std::span<const std::uint8_t> bytes,
                            std::string_view what, bool sync_directory) {
  const auto failed = [&](std::string_view action) {
    return make_error(sqlstate::kIoError,
                      "cannot " + std::string(action) + " " + std::string(what) + " " + path +
                          ": " + std::error_code(errno, std::generic_category()).message());
  };
  // Written to a temporary file and renamed over the old one, so that a reader sees the old
  // content or the new one, never a mix.
  const std::string temp = path + ".new";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return failed("write");
  const bool ok =
      ::pwrite(fd, bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size()) &&
      ::fdatasync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(temp.c_str(), path.c_str()) != 0) {
    ::unlink(temp.c_str());
    return failed("write");
  }
  if (!sync_directory) return ok_status();
  const auto dir = std::filesystem::path(path).parent_path();
  const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || ::fsync(dfd) != 0) {
    if (dfd >= 0) ::close(dfd);
    return failed("sync the directory of");
  }
  ::close(dfd);
  return ok_status();
}

std::string wal_state_path(const std::string& database) { return database + "-tde"; }

bool wal_state_exists(const std::string& database) {
  return ::access(wal_state_path(database).c_str(), F_OK) == 0;
}

Result<std::optional<WalState>> read_wal_state(const std::string& database, const FileId& id,
                                               const PageCipher& cipher) {
  const std::string path = wal_state_path(database);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<WalState>();
    return io_error(path, "read");
  }
  Record r{};
  const ssize_t n = ::pread(fd, r.data(), r.size(), 0);
  ::close(fd);
  if (n < 0) return io_error(path, "read");
  const auto corrupt = make_error(sqlstate::kDataCorrupted, "integrity error: the WAL state " +
                                                                path + " was altered or replaced");
  if (static_cast<std::size_t>(n) != r.size()) return corrupt;
  const auto body = std::span<const std::uint8_t>(r).first(kBodySize);
  if (!cipher.verify_state(body, std::span<const std::uint8_t>(r).subspan(kBodySize)))
    return corrupt;
  WalState s;
  s.phase = static_cast<WalPhase>(r[16]);
  std::copy_n(r.begin() + 24, s.salts.size(), s.salts.begin());
  std::copy_n(r.begin() + 32, s.previous.size(), s.previous.begin());
  Record expected{};
  encode_body(id, s, expected);
  if (!std::equal(body.begin(), body.end(), expected.begin()) || r[16] > 2) return corrupt;
  return std::optional<WalState>(s);
}

Status write_wal_state(const std::string& database, const FileId& id, const PageCipher& cipher,
                       const WalState& state) {
  const std::string path = wal_state_path(database);
  Record r{};
  encode_body(id, state, r);
  auto tag = cipher.state_tag(std::span<const std::uint8_t>(r).first(kBodySize));
  if (!tag) return std::move(tag).error();
  std::copy(tag->begin(), tag->end(), r.begin() + kBodySize);
  return replace_file_durably(path, r, "the WAL state");
}

bool wal_header_valid(std::span<const std::uint8_t> h) {
  if (h.size() < 32) return false;
  const std::uint32_t magic = load_be32(h.data());
  if ((magic & ~1u) != 0x377f0682u || load_be32(h.data() + 4) != 3007000u) return false;
  const std::uint32_t size = load_be32(h.data() + 8);
  if (size < 512 || size > 65536 || (size & (size - 1)) != 0) return false;
  // SQLite's checksum over the first 24 bytes, in the byte order the magic names.
  const bool big = (magic & 1u) != 0;
  std::uint32_t s1 = 0;
  std::uint32_t s2 = 0;
  for (std::size_t i = 0; i < 24; i += 8) {
    s1 += word(h.data() + i, big) + s2;
    s2 += word(h.data() + i + 4, big) + s1;
  }
  return s1 == load_be32(h.data() + 24) && s2 == load_be32(h.data() + 28);
}

}  // namespace dbvault::storage::vfs
