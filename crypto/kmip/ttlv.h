// KMIP TTLV (Tag-Type-Length-Value) encoding, KMIP 1.x specification §9.1: a codec with no I/O.
//
// Every item is a 3-byte tag (first byte 0x42 for tags the specification defines, 0x54 for
// extensions), a 1-byte type, a 4-byte big-endian length and the value padded with zeros to a
// multiple of 8 bytes. A structure's value is the concatenation of its children's encodings.
//
// The decoder is meant for bytes from the network: it never reads past its input, refuses
// (08P01, "KMIP TTLV: ...") anything the specification does not allow — unknown types, wrong
// fixed lengths, non-zero padding, booleans other than 0/1, structures whose children do not
// fill them exactly, nesting deeper than kMaxDepth, more than kMaxItems items — and returns no
// partial result. Byte and text string values are wiped when an Item is destroyed, because
// Encrypt requests and Decrypt responses carry key bytes in them.
//
// Thread-safety: pure functions; Item is a value type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace dbvault::crypto::kmip {

enum class ItemType : std::uint8_t {
  kStructure = 0x01,
  kInteger = 0x02,
  kLongInteger = 0x03,
  kBigInteger = 0x04,
  kEnumeration = 0x05,
  kBoolean = 0x06,
  kTextString = 0x07,
  kByteString = 0x08,
  kDateTime = 0x09,
  kInterval = 0x0A,
};

inline constexpr std::size_t kMaxDepth = 16;
inline constexpr std::size_t kMaxItems = 4096;
// The largest message this client sends or accepts (KMS responses here are < 1 KiB).
inline constexpr std::size_t kMaxMessageBytes = 1 << 20;

class Item {
 public:
  static Item structure(std::uint32_t tag, std::vector<Item> children = {});
  static Item integer(std::uint32_t tag, std::int32_t value);
  static Item long_integer(std::uint32_t tag, std::int64_t value);
  // Two's complement, big-endian; REQUIRES: size a non-zero multiple of 8 (the encoder does not
  // sign-extend for the caller).
  static Item big_integer(std::uint32_t tag, std::vector<std::uint8_t> twos_complement);
  static Item enumeration(std::uint32_t tag, std::uint32_t value);
  static Item boolean(std::uint32_t tag, bool value);
  static Item text(std::uint32_t tag, std::string_view value);
  static Item bytes(std::uint32_t tag, std::span<const std::uint8_t> value);
  static Item date_time(std::uint32_t tag, std::int64_t seconds_since_epoch);
  static Item interval(std::uint32_t tag, std::uint32_t seconds);

  Item(const Item& other) = default;
  Item& operator=(const Item& other) = default;
  Item(Item&& other) noexcept = default;
  Item& operator=(Item&& other) noexcept = default;
  ~Item();

  std::uint32_t tag() const { return tag_; }
  ItemType type() const { return type_; }
  // Integer, Long Integer, Enumeration, Boolean (0/1), Date-Time, Interval.
  std::int64_t number() const { return number_; }
  // Text String, Byte String, Big Integer.
  std::span<const std::uint8_t> octets() const { return octets_; }
  std::string_view text_value() const {
    return {reinterpret_cast<const char*>(octets_.data()), octets_.size()};
  }
  const std::vector<Item>& children() const { return children_; }
  std::vector<Item>& children() { return children_; }

  // The first child with `tag`, or nullptr (structures only; nullptr for other types).
  const Item* find(std::uint32_t tag) const;
  // Every child with `tag`, in order.
  std::vector<const Item*> find_all(std::uint32_t tag) const;

  bool operator==(const Item& other) const = default;

 private:
  Item(std::uint32_t tag, ItemType type) : tag_(tag), type_(type) {}
  static Item number_item(std::uint32_t tag, ItemType type, std::int64_t value);
  static Item octets_item(std::uint32_t tag, ItemType type, std::span<const std::uint8_t> value);
  friend class Decoder;

  std::uint32_t tag_;
  ItemType type_;
  std::int64_t number_ = 0;
  std::vector<std::uint8_t> octets_;
  std::vector<Item> children_;
};

// The encoding of `item` (and, for a structure, of its children). The result is sized exactly
// once, so no copy of string values is left behind in a reallocated buffer.
std::vector<std::uint8_t> encode(const Item& item);
std::size_t encoded_size(const Item& item);

// Exactly one item that spans all of `bytes`; 08P01 otherwise (see the header comment).
Result<Item> decode(std::span<const std::uint8_t> bytes);

// From the first 8 bytes of a message (the header of its outer item), the size of the whole
// message: 8 + length. 08P01 unless the item is a structure with a valid tag, its length is a
// multiple of 8 and the message is at most kMaxMessageBytes. REQUIRES: header.size() >= 8.
Result<std::size_t> message_size(std::span<const std::uint8_t> header);

}  // namespace dbvault::crypto::kmip
