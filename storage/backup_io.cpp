#include "storage/backup_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "crypto/random.h"
#include "storage/backup_format.h"

namespace dbvault::storage::backup {
namespace {

Error io_error(const std::string& what, const std::filesystem::path& p, int err) {
  return make_error(sqlstate::kIoError,
                    "cannot " + what + " " + p.string() + ": " + std::strerror(err));
}

}  // namespace

Status refuse_existing(const std::filesystem::path& target) {
  struct stat st {};
  if (::lstat(target.c_str(), &st) == 0) {
    return make_error(sqlstate::kDuplicateObject, "'" + target.string() +
                                                      "' already exists: a backup or restore never "
                                                      "writes over an existing file or directory");
  }
  if (errno != ENOENT) return io_error("inspect", target, errno);
  return ok_status();
}

Result<TempFile> create_temp_beside(const std::filesystem::path& target) {
  std::array<std::uint8_t, 8> r{};
  DBV_RETURN_IF_ERROR(crypto::random_bytes(r));
  const std::string suffix = ".tmp-" + to_hex(r);
  TempFile t;
  t.path = target;
  t.path += suffix;
  t.fd = ::open(t.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (t.fd < 0) return io_error("create", t.path, errno);
  return t;
}

Status write_fd(int fd, std::span<const std::uint8_t> bytes, const std::filesystem::path& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error("write", path, n < 0 ? errno : EIO);
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return ok_status();
}

Status sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("open directory", dir, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return io_error("sync directory", dir, err);
  return ok_status();
}

Status publish_temp(int fd, const std::filesystem::path& temp,
                    const std::filesystem::path& target) {
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    return io_error("sync", temp, err);
  }
  if (::close(fd) != 0) return io_error("close", temp, errno);
  if (::link(temp.c_str(), target.c_str()) != 0) {
    if (errno == EEXIST) return refuse_existing(target);
    return io_error("publish the backup as", target, errno);
  }
  if (::unlink(temp.c_str()) != 0) return io_error("remove", temp, errno);
  return sync_directory(target.parent_path().empty() ? "." : target.parent_path());
}

}  // namespace dbvault::storage::backup
