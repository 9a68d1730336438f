// Internal to server/wire: big-endian reading and writing of protocol fields. A ByteReader
// never reads past its view: every accessor returns nullopt when the field would overrun, so
// a malformed message can only produce an error, never an out-of-bounds read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace dbvault::server::wire::internal {

class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}

  std::optional<std::uint8_t> u8() {
    if (remaining() < 1) return std::nullopt;
    return static_cast<std::uint8_t>(bytes_[pos_++]);
  }
  std::optional<std::uint16_t> u16() { return be<std::uint16_t>(2); }
  std::optional<std::uint32_t> u32() { return be<std::uint32_t>(4); }
  std::optional<std::uint64_t> u64() { return be<std::uint64_t>(8); }
  std::optional<std::int16_t> i16() {
    auto v = u16();
    if (!v) return std::nullopt;
    return static_cast<std::int16_t>(*v);
  }
  std::optional<std::int32_t> i32() {
    auto v = u32();
    if (!v) return std::nullopt;
    return static_cast<std::int32_t>(*v);
  }
  // A NUL-terminated string (the NUL consumed, not returned); nullopt if there is no NUL.
  std::optional<std::string_view> cstring() {
    const auto nul = bytes_.find('\0', pos_);
    if (nul == std::string_view::npos) return std::nullopt;
    std::string_view s = bytes_.substr(pos_, nul - pos_);
    pos_ = nul + 1;
    return s;
  }
  std::optional<std::string_view> bytes(std::size_t n) {
    if (remaining() < n) return std::nullopt;
    std::string_view s = bytes_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::size_t remaining() const { return bytes_.size() - pos_; }
  bool at_end() const { return remaining() == 0; }

 private:
  template <typename T>
  std::optional<T> be(std::size_t n) {
    if (remaining() < n) return std::nullopt;
    T v = 0;
    for (std::size_t i = 0; i < n; ++i)
      v = static_cast<T>((v << 8) | static_cast<std::uint8_t>(bytes_[pos_ + i]));
    pos_ += n;
    return v;
  }

  std::string_view bytes_;
  std::size_t pos_ = 0;
};

template <typename T>
void put_be(std::string& out, T value) {
  using U = std::make_unsigned_t<T>;
  const U u = static_cast<U>(value);
  for (int shift = (sizeof(T) - 1) * 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((u >> shift) & 0xFF));
  }
}

}  // namespace dbvault::server::wire::internal
