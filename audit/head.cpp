#include "audit/head.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crypto/mac.h"

namespace dbvault::audit::internal {
namespace {

constexpr std::size_t kSlotSize = 512;
constexpr std::size_t kSlotBody = 56;  // magic, counter, seq, hash
constexpr char kHeadMagic[8] = {'D', 'B', 'V', 'H', 'E', 'A', 'D', '2'};
constexpr char kHeadMagicV1[8] = {'D', 'B', 'V', 'H', 'E', 'A', 'D', '1'};

void put_u64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint64_t get_u64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

std::optional<HeadState> decode_slot(const std::uint8_t* slot, const crypto::SecretBytes& key) {
  if (std::memcmp(slot, kHeadMagic, 8) != 0) return std::nullopt;
  if (!crypto::verify_hmac_sha256(key, {slot, kSlotBody}, {slot + kSlotBody, 32})) {
    return std::nullopt;
  }
  HeadState s;
  s.counter = get_u64(slot + 8);
  s.last_seq = get_u64(slot + 16);
  std::memcpy(s.last_hash.data(), slot + 24, 32);
  return s;
}

}  // namespace

std::optional<HeadState> HeadSlots::newer() const {
  if (slot[0] && slot[1]) return slot[0]->counter > slot[1]->counter ? slot[0] : slot[1];
  return slot[0] ? slot[0] : slot[1];
}

std::optional<HeadState> HeadSlots::older() const {
  if (!slot[0] || !slot[1]) return std::nullopt;
  return slot[0]->counter > slot[1]->counter ? slot[1] : slot[0];
}

Result<std::optional<HeadSlots>> read_head(const std::filesystem::path& path,
                                           const crypto::SecretBytes& mac_key) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return std::optional<HeadSlots>();
    return io_error("open", path, errno);
  }
  std::uint8_t buf[2 * kSlotSize] = {};
  const ssize_t n = ::pread(fd.get(), buf, sizeof buf, 0);
  if (n < 0) return io_error("read", path, errno);
  HeadSlots slots;
  for (std::size_t i = 0; i < 2; ++i) {
    const std::uint8_t* slot = buf + i * kSlotSize;
    if (std::memcmp(slot, kHeadMagicV1, 8) == 0) {
      return make_error(
          sqlstate::kFeatureNotSupported,
          "audit HEAD has format version 1, which this build refuses (docs/audit.md §4)");
    }
    if (static_cast<std::size_t>(n) >= i * kSlotSize + kSlotBody + 32) {
      slots.slot[i] = decode_slot(slot, mac_key);
    }
  }
  return std::optional<HeadSlots>(slots);
}

Result<HeadFile> HeadFile::create(const std::filesystem::path& path,
                                  const crypto::SecretBytes& mac_key, std::uint64_t last_seq,
                                  const ChainHash& last_hash) {
  Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) return io_error("create", path, errno);
  HeadFile head(std::move(fd), path, mac_key, HeadState{});
  const std::vector<std::uint8_t> zeros(2 * kSlotSize, 0);
  DBV_RETURN_IF_ERROR(write_all(head.fd_.get(), zeros, 0, path));
  DBV_RETURN_IF_ERROR(head.rewrite(last_seq, last_hash));
  DBV_RETURN_IF_ERROR(sync_dir(path.parent_path()));
  return head;
}

Result<HeadFile> HeadFile::open(const std::filesystem::path& path,
                                const crypto::SecretBytes& mac_key, const HeadState& current) {
  Fd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.valid()) return io_error("open", path, errno);
  return HeadFile(std::move(fd), path, mac_key, current);
}

Status HeadFile::write(std::uint64_t last_seq, const ChainHash& last_hash) {
  std::uint8_t slot[kSlotBody + 32] = {};
  std::memcpy(slot, kHeadMagic, 8);
  put_u64(slot + 8, state_.counter + 1);
  put_u64(slot + 16, last_seq);
  std::memcpy(slot + 24, last_hash.data(), 32);
  auto tag = crypto::hmac_sha256(mac_key_, {slot, kSlotBody});
  if (!tag) return std::move(tag).error();
  std::memcpy(slot + kSlotBody, tag->data(), 32);
  const std::uint64_t offset = ((state_.counter + 1) % 2) * kSlotSize;
  DBV_RETURN_IF_ERROR(write_all(fd_.get(), slot, offset, path_));
  state_ = HeadState{state_.counter + 1, last_seq, last_hash};
  return ok_status();
}

Status HeadFile::rewrite(std::uint64_t last_seq, const ChainHash& last_hash) {
  DBV_RETURN_IF_ERROR(write(last_seq, last_hash));
  DBV_RETURN_IF_ERROR(write(last_seq, last_hash));
  return sync();
}

Status HeadFile::sync() { return sync_fd(fd_.get(), path_); }

}  // namespace dbvault::audit::internal
