#include "storage/backup_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "crypto/aead.h"
#include "crypto/mac.h"
#include "crypto/random.h"
#include "storage/backup_io.h"

namespace dbvault::storage::backup {
namespace {

void put_be(std::vector<std::uint8_t>& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

}  // namespace

Status validate_entry_path(const std::string& p) {
  const auto bad = [&p](const char* why) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "backup entry \"" + p + "\" is not a safe relative path: " + why);
  };
  if (p.empty() || p.size() > 1024) return bad("empty or too long");
  if (p.front() == '/') return bad("absolute");
  std::size_t start = 0;
  while (start <= p.size()) {
    const std::size_t end = std::min(p.find('/', start), p.size());
    const std::string_view part(p.data() + start, end - start);
    if (part.empty() || part == "." || part == "..") return bad("empty, . or .. component");
    if (part.find('\\') != std::string_view::npos || part.find('\0') != std::string_view::npos)
      return bad("backslash or NUL");
    start = end + 1;
  }
  return ok_status();
}

Result<std::unique_ptr<BackupWriter>> BackupWriter::create(WriterOptions o) {
  if (o.mek == nullptr || o.password.empty()) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "a backup needs a master key and a non-empty restore password");
  }
  if (!o.target.is_absolute()) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "the backup path '" + o.target.string() + "' must be absolute");
  }
  if (o.chunk_size == 0 || o.chunk_size > kMaxChunkSize) {
    return make_error(sqlstate::kInvalidParameterValue, "bad backup chunk size");
  }
  DBV_RETURN_IF_ERROR(refuse_existing(o.target));
  std::unique_ptr<BackupWriter> w(new BackupWriter());
  Header& h = w->header_;
  h.chunk_size = o.chunk_size;
  h.created_unix = o.created_unix;
  h.key_id = o.mek->key_id();
  h.provider_kind = std::string(o.mek->kind());
  h.argon2 = o.argon2;
  DBV_RETURN_IF_ERROR(crypto::validate(h.argon2));
  if (h.argon2.memory_kib > kMaxArgon2MemoryKib || h.argon2.iterations > kMaxArgon2Iterations) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "Argon2id parameters above what a restore accepts (1 GiB, 16 passes)");
  }
  DBV_RETURN_IF_ERROR(crypto::random_bytes(h.backup_id));
  DBV_RETURN_IF_ERROR(crypto::random_bytes(h.password_salt));
  auto data_key = crypto::random_key(32);
  if (!data_key) return std::move(data_key).error();
  auto wrapped = o.mek->wrap(*data_key);
  if (!wrapped) return std::move(wrapped).error();
  h.wrapped_data_key = std::move(*wrapped);
  auto keys = derive_keys(h, *data_key, o.password);
  if (!keys) return std::move(keys).error();
  w->keys_ = std::move(*keys);
  h.password_check = w->keys_.password_check;
  auto mac = crypto::hmac_sha256(w->keys_.mac_key, serialize_unmacced(h));
  if (!mac) return std::move(mac).error();
  h.header_mac = *mac;
  w->summary_.backup_id_hex = to_hex(h.backup_id);

  auto temp = create_temp_beside(o.target);
  if (!temp) return std::move(temp).error();
  w->temp_ = temp->path;
  w->fd_ = temp->fd;
  w->options_ = std::move(o);
  w->buffer_.reserve(h.chunk_size);
  if (auto s = w->write_all(serialize(h)); !s) {
    w->abandon();
    return std::move(s).error();
  }
  return w;
}

BackupWriter::~BackupWriter() { abandon(); }

void BackupWriter::abandon() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!temp_.empty()) {
    std::error_code ec;
    std::filesystem::remove(temp_, ec);
    temp_.clear();
  }
  std::fill(buffer_.begin(), buffer_.end(), 0);
  buffer_.clear();
}

Status BackupWriter::write_all(std::span<const std::uint8_t> bytes) {
  Status s = write_fd(fd_, bytes, temp_);
  if (!s) failed_ = true;
  return s;
}

Status BackupWriter::seal_chunk(bool final_chunk) {
  auto aead = crypto::Aead::create(crypto::AeadAlgorithm::kAes256Gcm, keys_.chunk_key);
  if (!aead) return std::move(aead).error();
  const auto length = static_cast<std::uint32_t>(buffer_.size());
  auto sealed = aead->seal(buffer_, chunk_aad(header_, summary_.chunks, final_chunk, length));
  std::fill(buffer_.begin(), buffer_.end(), 0);
  buffer_.clear();
  if (!sealed) {
    failed_ = true;
    return std::move(sealed).error();
  }
  std::vector<std::uint8_t> frame;
  frame.reserve(4 + sealed->size());
  put_be(frame, length, 4);
  frame.insert(frame.end(), sealed->begin(), sealed->end());
  ++summary_.chunks;
  return write_all(frame);
}

Status BackupWriter::append(std::span<const std::uint8_t> bytes) {
  if (failed_ || fd_ < 0) {
    return make_error(sqlstate::kSystemError, "the backup writer failed earlier or is finished");
  }
  while (!bytes.empty()) {
    const std::size_t room = header_.chunk_size - buffer_.size();
    const std::size_t n = std::min(room, bytes.size());
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.begin() + static_cast<long>(n));
    bytes = bytes.subspan(n);
    // A full chunk is never the final one: finish() always appends the end record after it.
    if (buffer_.size() == header_.chunk_size) DBV_RETURN_IF_ERROR(seal_chunk(false));
  }
  return ok_status();
}

Status BackupWriter::begin_entry(const std::string& entry, std::uint32_t mode, std::uint64_t size) {
  DBV_RETURN_IF_ERROR(validate_entry_path(entry));
  std::vector<std::uint8_t> rec;
  rec.push_back('F');
  put_be(rec, entry.size(), 2);
  rec.insert(rec.end(), entry.begin(), entry.end());
  put_be(rec, mode & 0777u, 4);
  put_be(rec, size, 8);
  ++summary_.files;
  summary_.bytes += size;
  return append(rec);
}

Status BackupWriter::add_bytes(const std::string& entry, std::uint32_t mode,
                               std::span<const std::uint8_t> bytes) {
  DBV_RETURN_IF_ERROR(begin_entry(entry, mode, bytes.size()));
  return append(bytes);
}

Status BackupWriter::add_file(const std::string& entry, std::uint32_t mode,
                              const std::filesystem::path& source) {
  std::ifstream in(source, std::ios::binary);
  std::error_code ec;
  const auto size = std::filesystem::file_size(source, ec);
  if (!in || ec) {
    failed_ = true;
    return make_error(sqlstate::kIoError, "cannot read " + source.string() + " for the backup");
  }
  DBV_RETURN_IF_ERROR(begin_entry(entry, mode, size));
  std::vector<std::uint8_t> piece(64 * 1024);
  std::uint64_t left = size;
  while (left > 0) {
    const auto n = static_cast<std::streamsize>(std::min<std::uint64_t>(left, piece.size()));
    if (!in.read(reinterpret_cast<char*>(piece.data()), n)) {
      failed_ = true;
      return make_error(sqlstate::kIoError,
                        source.string() + " changed size while it was backed up");
    }
    DBV_RETURN_IF_ERROR(append({piece.data(), static_cast<std::size_t>(n)}));
    left -= static_cast<std::uint64_t>(n);
  }
  if (in.peek() != std::ifstream::traits_type::eof()) {
    failed_ = true;
    return make_error(sqlstate::kIoError, source.string() + " grew while it was backed up");
  }
  return ok_status();
}

Result<BackupSummary> BackupWriter::finish() {
  std::vector<std::uint8_t> end{'E'};
  put_be(end, summary_.files, 8);
  Status s = append(end);
  if (s) s = seal_chunk(true);
  if (s) {
    const int fd = fd_;
    fd_ = -1;  // publish_temp closes it, whatever happens
    s = publish_temp(fd, temp_, options_.target);
  }
  if (!s) {
    abandon();
    return std::move(s).error();
  }
  temp_.clear();
  return summary_;
}

}  // namespace dbvault::storage::backup
