#include "pgext/key_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <system_error>

#include "crypto/env_provider.h"
#include "crypto/file_provider.h"

namespace dbvault::pgext {

Result<StoreLock> StoreLock::take(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || ::flock(fd, LOCK_EX) != 0) {
    if (fd >= 0) ::close(fd);
    return make_error(sqlstate::kSystemError, "dbvault: cannot lock " + file.string());
  }
  return StoreLock(fd);
}

StoreLock::~StoreLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

Status make_private_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (!ec) std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  if (ec) return make_error(sqlstate::kSystemError, "dbvault: cannot create " + dir.string());
  return ok_status();
}

Result<Keys> open_keys(const std::filesystem::path& keys_dir, std::string_view provider,
                       const Clock& clock) {
  Keys k;
  if (provider == "env") {
    auto p = crypto::open_env_provider();
    if (!p) return std::move(p).error();
    k.mek = std::move(*p);
  } else if (provider == "file") {
    const auto path = keys_dir / "master.key";
    auto p = std::filesystem::exists(path) ? crypto::open_file_provider(path)
                                           : crypto::create_file_provider(path, "pgext-mek-1");
    if (!p) return std::move(p).error();
    k.mek = std::move(*p);
  } else {
    return make_error(sqlstate::kInvalidParameterValue,
                      "dbvault.master_key_provider must be 'file' or 'env'");
  }
  auto store = crypto::TekStore::open(keys_dir, k.mek, clock);
  if (!store) return std::move(store).error();
  k.store = std::move(*store);
  return k;
}

}  // namespace dbvault::pgext
