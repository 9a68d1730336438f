#include "storage/vfs/page_versions.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "storage/vfs/wal_state.h"

namespace dbvault::storage::vfs {
namespace {

constexpr std::array<std::uint8_t, 8> kMagic = {'D', 'B', 'V', 'T', 'P', 'V', 'T', '2'};
constexpr std::size_t kHeadSize = 40;
constexpr std::size_t kTagSize = 32;
// A table past this many pages (1 TiB of 4 KiB pages) is not one this code wrote.
constexpr std::uint64_t kMaxPages = std::uint64_t{1} << 28;

void store_be64(std::uint8_t* out, std::uint64_t v) {
  store_be32(out, static_cast<std::uint32_t>(v >> 32));
  store_be32(out + 4, static_cast<std::uint32_t>(v));
}
std::uint64_t load_be64(const std::uint8_t* in) {
  return (std::uint64_t{load_be32(in)} << 32) | load_be32(in + 4);
}

std::vector<std::uint8_t> encode_body(const FileId& id, const PageVersions& v) {
  std::vector<std::uint8_t> out(kHeadSize + 8 * v.epochs.size(), 0);
  auto p = std::copy(kMagic.begin(), kMagic.end(), out.begin());
  std::copy(id.begin(), id.end(), p);
  store_be64(out.data() + 16, v.committed);
  store_be64(out.data() + 24, v.pending);
  store_be32(out.data() + 32, static_cast<std::uint32_t>(v.epochs.size()));
  for (std::size_t i = 0; i < v.epochs.size(); ++i)
    store_be64(out.data() + kHeadSize + 8 * i, v.epochs[i]);
  return out;
}

Error read_error(const std::string& path) {
  return make_error(sqlstate::kIoError,
                    "cannot read the page version table " + path + ": " +
                        std::error_code(errno, std::generic_category()).message());
}

}  // namespace

std::string page_versions_path(const std::string& database) { return database + "-tdv"; }

bool page_versions_exist(const std::string& database) {
  return ::access(page_versions_path(database).c_str(), F_OK) == 0;
}

Result<std::optional<PageVersions>> read_page_versions(const std::string& database,
                                                       const FileId& id, const PageCipher& cipher,
                                                       bool authenticated) {
  const std::string path = page_versions_path(database);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<PageVersions>();
    return read_error(path);
  }
  struct stat st {};
  std::vector<std::uint8_t> bytes;
  bool ok = ::fstat(fd, &st) == 0;
  if (ok) {
    bytes.resize(static_cast<std::size_t>(st.st_size));
    ok = ::pread(fd, bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size());
  }
  ::close(fd);
  if (!ok) return read_error(path);
  const auto corrupt =
      make_error(sqlstate::kDataCorrupted,
                 "integrity error: the page version table " + path + " was altered or replaced");
  if (bytes.size() < kHeadSize + kTagSize) return corrupt;
  const std::size_t body = bytes.size() - kTagSize;
  const std::uint64_t pages = load_be32(bytes.data() + 32);
  if (pages > kMaxPages || body != kHeadSize + 8 * pages) return corrupt;
  const auto all = std::span<const std::uint8_t>(bytes);
  if (authenticated && !cipher.verify_state(all.first(body), all.subspan(body))) return corrupt;
  PageVersions v;
  v.committed = load_be64(bytes.data() + 16);
  v.pending = load_be64(bytes.data() + 24);
  v.epochs.resize(pages);
  for (std::size_t i = 0; i < pages; ++i) v.epochs[i] = load_be64(bytes.data() + kHeadSize + 8 * i);
  // The magic, the file id and the zeros must be exactly what this file's table holds.
  const auto expected = encode_body(id, v);
  if (!std::equal(expected.begin(), expected.end(), bytes.begin())) return corrupt;
  return std::optional<PageVersions>(std::move(v));
}

Status write_page_versions(const std::string& database, const FileId& id, const PageCipher& cipher,
                           const PageVersions& versions, bool sync_directory) {
  auto bytes = encode_body(id, versions);
  auto tag = cipher.state_tag(bytes);
  if (!tag) return std::move(tag).error();
  bytes.insert(bytes.end(), tag->begin(), tag->end());
  return replace_file_durably(page_versions_path(database), bytes, "the page version table",
                              sync_directory);
}

}  // namespace dbvault::storage::vfs
