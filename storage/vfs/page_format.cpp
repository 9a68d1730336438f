#include "storage/vfs/page_format.h"

#include <algorithm>
#include <cstring>

namespace dbvault::storage::vfs {
namespace {
constexpr std::array<std::uint8_t, 4> kMagic = {'D', 'B', 'V', 'T'};
}  // namespace

void store_be32(std::uint8_t* out, std::uint32_t value) {
  out[0] = static_cast<std::uint8_t>(value >> 24);
  out[1] = static_cast<std::uint8_t>(value >> 16);
  out[2] = static_cast<std::uint8_t>(value >> 8);
  out[3] = static_cast<std::uint8_t>(value);
}

std::uint32_t load_be32(const std::uint8_t* in) {
  return (std::uint32_t{in[0]} << 24) | (std::uint32_t{in[1]} << 16) | (std::uint32_t{in[2]} << 8) |
         std::uint32_t{in[3]};
}

void FileHeader::encode(std::span<std::uint8_t, kFileHeaderSize> out) const {
  std::copy(kMagic.begin(), kMagic.end(), out.begin());
  out[4] = kFormatVersion;
  out[5] = static_cast<std::uint8_t>(algorithm);
  out[6] = static_cast<std::uint8_t>(kReservedBytes);
  out[7] = 0;
  std::copy(file_id.begin(), file_id.end(), out.begin() + 8);
}

std::optional<FileHeader> FileHeader::decode(std::span<const std::uint8_t, kFileHeaderSize> in) {
  if (!has_magic(in) || in[4] != kFormatVersion || in[6] != kReservedBytes || in[7] != 0) {
    return std::nullopt;
  }
  const auto alg = static_cast<crypto::AeadAlgorithm>(in[5]);
  if (alg != crypto::AeadAlgorithm::kAes256Gcm && alg != crypto::AeadAlgorithm::kChaCha20Poly1305) {
    return std::nullopt;
  }
  FileHeader h;
  h.algorithm = alg;
  std::copy(in.begin() + 8, in.end(), h.file_id.begin());
  return h;
}

bool FileHeader::has_magic(std::span<const std::uint8_t> in) {
  return in.size() >= kMagic.size() && std::equal(kMagic.begin(), kMagic.end(), in.begin());
}

PageAad::PageAad(const FileId& file_id, const PagePlace& place, std::uint32_t key_version) {
  std::uint8_t* p = bytes_.data();
  p = std::copy(file_id.begin(), file_id.end(), p);
  *p++ = static_cast<std::uint8_t>(place.kind);
  store_be32(p, place.page_number);
  store_be32(p + 4, key_version);
  store_be32(p + 8, static_cast<std::uint32_t>(place.position >> 32));
  store_be32(p + 12, static_cast<std::uint32_t>(place.position));
  store_be32(p + 16, static_cast<std::uint32_t>(place.epoch >> 32));
  store_be32(p + 20, static_cast<std::uint32_t>(place.epoch));
  p += 24;
  const std::size_t bound = std::min(place.bound.size(), kBoundSize);
  p = std::copy_n(place.bound.begin(), bound, p);
  size_ = static_cast<std::size_t>(p - bytes_.data());
}

std::uint32_t sqlite_page_size(std::span<const std::uint8_t> header) {
  if (header.size() < 18) return 0;
  const std::uint32_t v = (std::uint32_t{header[16]} << 8) | header[17];
  const std::uint32_t size = v == 1 ? 65536 : v;
  if (size < 512 || size > 65536 || (size & (size - 1)) != 0) return 0;
  return size;
}

}  // namespace dbvault::storage::vfs
