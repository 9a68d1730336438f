#include "storage/backup_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <set>

#include "crypto/aead.h"
#include "storage/backup_io.h"
#include "storage/backup_writer.h"

namespace dbvault::storage::backup {
namespace {

constexpr std::size_t kMaxHeaderBytes = 1024;

Error damaged(const std::string& why) {
  return make_error(sqlstate::kDataCorrupted,
                    "the backup file does not authenticate (damaged, truncated, reordered or "
                    "spliced): " +
                        why);
}

// The authenticated plaintext of a backup's chunks, in order, as one byte stream.
class ChunkStream {
 public:
  ChunkStream(std::ifstream& in, std::uint64_t file_size, const Header& h, crypto::Aead aead)
      : in_(in), file_size_(file_size), header_(h), aead_(std::move(aead)) {}

  Status read(std::span<std::uint8_t> out) {
    while (!out.empty()) {
      if (pos_ == plain_.size()) DBV_RETURN_IF_ERROR(next_chunk());
      const std::size_t n = std::min(out.size(), plain_.size() - pos_);
      std::copy_n(plain_.begin() + static_cast<long>(pos_), n, out.begin());
      pos_ += n;
      out = out.subspan(n);
    }
    return ok_status();
  }
  std::uint64_t be(int bytes, Status& s) {
    std::array<std::uint8_t, 8> b{};
    s = read({b.data(), static_cast<std::size_t>(bytes)});
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | b[i];
    return v;
  }
  bool at_end() const { return final_seen_ && pos_ == plain_.size(); }
  std::uint64_t chunks() const { return index_; }

 private:
  Status next_chunk() {
    if (final_seen_) return damaged("the payload ends inside a record");
    std::array<std::uint8_t, 4> len{};
    if (!in_.read(reinterpret_cast<char*>(len.data()), len.size())) {
      return damaged("chunk " + std::to_string(index_) + " is missing (file truncated)");
    }
    const std::uint32_t length = (std::uint32_t{len[0]} << 24) | (std::uint32_t{len[1]} << 16) |
                                 (std::uint32_t{len[2]} << 8) | len[3];
    if (length > header_.chunk_size) return damaged("chunk " + std::to_string(index_) + " length");
    std::vector<std::uint8_t> sealed(length + crypto::kAeadOverhead);
    if (!in_.read(reinterpret_cast<char*>(sealed.data()), static_cast<long>(sealed.size()))) {
      return damaged("chunk " + std::to_string(index_) + " is cut short (file truncated)");
    }
    // The chunk that ends the file must be the one sealed as final, and no other: a file cut
    // at a chunk boundary, or one with chunks appended, fails here.
    const bool final_chunk = static_cast<std::uint64_t>(in_.tellg()) == file_size_;
    auto opened = aead_.open(sealed, chunk_aad(header_, index_, final_chunk, length));
    if (!opened) {
      return damaged("chunk " + std::to_string(index_) +
                     (final_chunk ? " (the last in the file)" : "") + " fails authentication");
    }
    std::fill(plain_.begin(), plain_.end(), 0);
    plain_ = std::move(*opened);
    pos_ = 0;
    ++index_;
    final_seen_ = final_chunk;
    return ok_status();
  }

  std::ifstream& in_;
  std::uint64_t file_size_;
  const Header& header_;
  crypto::Aead aead_;
  std::vector<std::uint8_t> plain_;
  std::size_t pos_ = 0;
  std::uint64_t index_ = 0;
  bool final_seen_ = false;
};

// Writes the files of the stream under `root`.
class Extractor {
 public:
  Extractor(ChunkStream& s, std::filesystem::path root) : s_(s), root_(std::move(root)) {}

  Result<RestoreSummary> run() {
    RestoreSummary sum;
    for (;;) {
      std::uint8_t kind = 0;
      DBV_RETURN_IF_ERROR(s_.read({&kind, 1}));
      if (kind == 'E') break;
      if (kind != 'F') return damaged("unknown record in the payload");
      DBV_RETURN_IF_ERROR(file(sum));
    }
    Status st;
    const std::uint64_t count = s_.be(8, st);
    DBV_RETURN_IF_ERROR(st);
    if (count != sum.files) return damaged("the end record counts other files");
    if (!s_.at_end()) return damaged("data after the end record");
    for (const auto& d : dirs_) DBV_RETURN_IF_ERROR(sync_directory(d));
    sum.chunks = s_.chunks();
    return sum;
  }

 private:
  Status file(RestoreSummary& sum) {
    Status st;
    const auto path_len = s_.be(2, st);
    DBV_RETURN_IF_ERROR(st);
    if (path_len == 0 || path_len > 1024) return damaged("bad entry path length");
    std::string entry(path_len, '\0');
    DBV_RETURN_IF_ERROR(s_.read({reinterpret_cast<std::uint8_t*>(entry.data()), entry.size()}));
    if (!validate_entry_path(entry)) return damaged("unsafe entry path \"" + entry + "\"");
    const auto mode = static_cast<mode_t>(s_.be(4, st) & 0700);
    DBV_RETURN_IF_ERROR(st);
    std::uint64_t left = s_.be(8, st);
    DBV_RETURN_IF_ERROR(st);
    const std::filesystem::path out = root_ / entry;
    DBV_RETURN_IF_ERROR(make_parents(out.parent_path()));
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                          mode | S_IRUSR | S_IWUSR);
    if (fd < 0) return damaged("entry \"" + entry + "\" twice, or not writable");
    Status written;
    std::vector<std::uint8_t> piece(64 * 1024);
    sum.bytes += left;
    while (written && left > 0) {
      const std::size_t n = std::min<std::uint64_t>(left, piece.size());
      written = s_.read({piece.data(), n});
      if (written) written = write_fd(fd, {piece.data(), n}, out);
      left -= n;
    }
    if (written && ::fsync(fd) != 0) {
      written = make_error(sqlstate::kIoError, "cannot sync " + out.string());
    }
    ::close(fd);
    ++sum.files;
    return written;
  }

  Status make_parents(const std::filesystem::path& dir) {
    if (dirs_.contains(dir)) return ok_status();
    if (dir != root_) DBV_RETURN_IF_ERROR(make_parents(dir.parent_path()));
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return make_error(sqlstate::kIoError, "cannot create directory " + dir.string());
    }
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return damaged("entry path through a file: " + dir.string());
    }
    dirs_.insert(dir);
    return ok_status();
  }

  ChunkStream& s_;
  std::filesystem::path root_;
  std::set<std::filesystem::path> dirs_;
};

Result<RestoreSummary> restore_opened(std::ifstream& in, std::uint64_t file_size, const Header& h,
                                      std::size_t header_len, crypto::MasterKeyProvider& mek,
                                      const SecretString& password,
                                      const std::filesystem::path& target) {
  if (mek.key_id() != h.key_id) {
    return make_error(sqlstate::kSystemError, "the backup is encrypted under master key '" +
                                                  h.key_id + "', not under '" + mek.key_id() + "'");
  }
  auto data_key = mek.unwrap(h.wrapped_data_key);
  if (!data_key) {
    return make_error(sqlstate::kSystemError,
                      "the master key '" + h.key_id +
                          "' does not unwrap the backup's data key (another key of that id?): " +
                          data_key.error().message);
  }
  auto keys = derive_keys(h, *data_key, password);
  if (!keys) return std::move(keys).error();
  DBV_RETURN_IF_ERROR(verify_header(h, *keys));
  auto aead = crypto::Aead::create(crypto::AeadAlgorithm::kAes256Gcm, keys->chunk_key);
  if (!aead) return std::move(aead).error();
  in.seekg(static_cast<long>(header_len));
  ChunkStream stream(in, file_size, h, std::move(*aead));
  Extractor extractor(stream, target);
  return extractor.run();
}

}  // namespace

Result<Header> read_header(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(sqlstate::kIoError, "cannot read the backup " + path.string());
  std::vector<std::uint8_t> head(kMaxHeaderBytes);
  in.read(reinterpret_cast<char*>(head.data()), static_cast<long>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  std::size_t consumed = 0;
  return parse(head, consumed);
}

Result<RestoreSummary> restore_files(const std::filesystem::path& path,
                                     crypto::MasterKeyProvider& mek, const SecretString& password,
                                     const std::filesystem::path& target) {
  DBV_RETURN_IF_ERROR(refuse_existing(target));
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  const auto file_size = std::filesystem::file_size(path, ec);
  if (!in || ec) return make_error(sqlstate::kIoError, "cannot read the backup " + path.string());
  std::vector<std::uint8_t> head(kMaxHeaderBytes);
  in.read(reinterpret_cast<char*>(head.data()), static_cast<long>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  in.clear();
  std::size_t header_len = 0;
  auto header = parse(head, header_len);
  if (!header) return std::move(header).error();
  if (::mkdir(target.c_str(), 0700) != 0) {
    return make_error(sqlstate::kIoError, "cannot create the restore directory " + target.string());
  }
  auto restored = restore_opened(in, file_size, *header, header_len, mek, password, target);
  if (!restored) {
    std::filesystem::remove_all(target, ec);
    return std::move(restored).error();
  }
  return restored;
}

}  // namespace dbvault::storage::backup
