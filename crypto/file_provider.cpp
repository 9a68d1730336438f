#include "crypto/file_provider.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "crypto/random.h"
#include "crypto/software_master_key.h"

namespace dbvault::crypto {
namespace {

constexpr std::string_view kHeader = "dbvault-master-key v1";
constexpr std::size_t kMaxFile = 512;

class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Error file_error(const std::filesystem::path& path, const std::string& problem) {
  return make_error(sqlstate::kSystemError, "master key file " + path.string() + " " + problem);
}

std::string octal_mode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Checks type, permissions and owner of the opened file (fstat: no race with a rename).
Status check_file(int fd, const std::filesystem::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return file_error(path, "cannot be inspected");
  if (!S_ISREG(st.st_mode)) return file_error(path, "is not a regular file");
  if ((st.st_mode & 077) != 0) {
    return file_error(path, "has permissions " + octal_mode(st.st_mode) +
                                "; it must be readable by its owner only (chmod 600)");
  }
  if (st.st_uid != ::geteuid()) {
    return file_error(
        path, "is owned by uid " + std::to_string(st.st_uid) + ", not by the server's user");
  }
  if (st.st_size <= 0 || static_cast<std::size_t>(st.st_size) > kMaxFile) {
    return file_error(path, "is malformed (unexpected size)");
  }
  return ok_status();
}

Result<SecretBytes> read_all(int fd, const std::filesystem::path& path) {
  SecretBytes buf(kMaxFile);
  std::size_t used = 0;
  while (used < buf.size()) {
    const ssize_t n = ::read(fd, buf.data() + used, buf.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return file_error(path, "cannot be read: " + std::string(std::strerror(errno)));
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  buf.truncate(used);
  return buf;
}

// Splits off the next '\n'-terminated line of `text`.
bool next_line(std::string_view& text, std::string_view& line) {
  const auto nl = text.find('\n');
  if (nl == std::string_view::npos) return false;
  line = text.substr(0, nl);
  text.remove_prefix(nl + 1);
  return true;
}

Result<std::unique_ptr<MasterKeyProvider>> parse(const SecretBytes& content,
                                                 const std::filesystem::path& path) {
  std::string_view text(reinterpret_cast<const char*>(content.data()), content.size());
  std::string_view header, id_line, key_line;
  if (!next_line(text, header) || header != kHeader || !next_line(text, id_line) ||
      !next_line(text, key_line) || !text.empty() || id_line.substr(0, 3) != "id " ||
      key_line.substr(0, 4) != "key ") {
    return file_error(path, "is malformed (expected the dbvault-master-key v1 format)");
  }
  const std::string id(id_line.substr(3));
  if (!validate_key_id(id).ok()) return file_error(path, "has an invalid key id");
  auto mek = internal::decode_hex_key(key_line.substr(4), 32,
                                      "master key file " + path.string() + ": key");
  if (!mek) return std::move(mek).error();
  return internal::make_software_provider("file", id, std::move(*mek));
}

Status write_all(int fd, std::span<const std::uint8_t> bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(sqlstate::kIoError, std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  return ::fsync(fd) == 0 ? ok_status() : make_error(sqlstate::kIoError, std::strerror(errno));
}

// The file's content for `mek`, built inside locked memory.
SecretBytes render(const std::string& key_id, const SecretBytes& mek) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::string head = std::string(kHeader) + "\nid " + key_id + "\nkey ";
  SecretBytes out(head.size() + 2 * mek.size() + 1);
  std::memcpy(out.data(), head.data(), head.size());
  std::uint8_t* p = out.data() + head.size();
  for (std::size_t i = 0; i < mek.size(); ++i) {
    *p++ = static_cast<std::uint8_t>(kHex[mek.data()[i] >> 4]);
    *p++ = static_cast<std::uint8_t>(kHex[mek.data()[i] & 15]);
  }
  *p = '\n';
  return out;
}

}  // namespace

Result<std::unique_ptr<MasterKeyProvider>> open_file_provider(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return file_error(path, "does not exist");
    if (errno == ELOOP) return file_error(path, "is a symbolic link; refusing to follow it");
    return file_error(path, "cannot be opened: " + std::string(std::strerror(errno)));
  }
  DBV_RETURN_IF_ERROR(check_file(fd.get(), path));
  auto content = read_all(fd.get(), path);
  if (!content) return std::move(content).error();
  auto provider = parse(*content, path);
  if (provider.ok()) {
    spdlog::warn(
        "master key: using the key file {} (file provider); anyone who can read it can read "
        "the data: production should use the env or pkcs11 provider",
        path.string());
  }
  return provider;
}

Result<std::unique_ptr<MasterKeyProvider>> create_file_provider(const std::filesystem::path& path,
                                                                const std::string& key_id) {
  DBV_RETURN_IF_ERROR(validate_key_id(key_id));
  auto mek = random_key(32);
  if (!mek) return std::move(mek).error();
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    if (errno == EEXIST) {
      return make_error(sqlstate::kDuplicateObject,
                        "master key file " + path.string() + " already exists");
    }
    return file_error(path, "cannot be created: " + std::string(std::strerror(errno)));
  }
  const SecretBytes content = render(key_id, *mek);
  Status written = ::fchmod(fd.get(), 0600) == 0 ? write_all(fd.get(), content.view())
                                                 : make_error(sqlstate::kIoError, "fchmod failed");
  if (!written.ok()) {
    ::unlink(path.c_str());
    return file_error(path, "cannot be written: " + written.error().message);
  }
  spdlog::warn("master key: created key file {} (file provider, development only)", path.string());
  return internal::make_software_provider("file", key_id, std::move(*mek));
}

}  // namespace dbvault::crypto
