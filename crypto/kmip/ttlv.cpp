#include "crypto/kmip/ttlv.h"

#include <openssl/crypto.h>

#include <algorithm>

namespace dbvault::crypto::kmip {
namespace {

constexpr std::size_t kHeader = 8;

std::size_t padded(std::size_t n) { return (n + 7) / 8 * 8; }

bool valid_tag(std::uint32_t tag) {
  const std::uint32_t prefix = tag >> 16;
  return (prefix == 0x42 || prefix == 0x54) && tag <= 0xFFFFFF;
}

// The value length each fixed-size type must declare; 0 for variable-size types.
std::size_t fixed_length(ItemType type) {
  switch (type) {
    case ItemType::kInteger:
    case ItemType::kEnumeration:
    case ItemType::kInterval:
      return 4;
    case ItemType::kLongInteger:
    case ItemType::kBoolean:
    case ItemType::kDateTime:
      return 8;
    default:
      return 0;
  }
}

bool known_type(std::uint8_t t) { return t >= 0x01 && t <= 0x0A; }

std::size_t value_length(const Item& item) {
  if (item.type() == ItemType::kStructure) {
    std::size_t n = 0;
    for (const Item& c : item.children()) n += encoded_size(c);
    return n;
  }
  const std::size_t fixed = fixed_length(item.type());
  return fixed != 0 ? fixed : item.octets().size();
}

void put_be(std::vector<std::uint8_t>& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::uint64_t get_be(const std::uint8_t* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

void encode_into(const Item& item, std::vector<std::uint8_t>& out) {
  const std::size_t len = value_length(item);
  put_be(out, item.tag(), 3);
  out.push_back(static_cast<std::uint8_t>(item.type()));
  put_be(out, len, 4);
  switch (item.type()) {
    case ItemType::kStructure:
      for (const Item& c : item.children()) encode_into(c, out);
      return;
    case ItemType::kInteger:
    case ItemType::kEnumeration:
    case ItemType::kInterval:
      put_be(out, static_cast<std::uint64_t>(item.number()), 4);
      break;
    case ItemType::kLongInteger:
    case ItemType::kBoolean:
    case ItemType::kDateTime:
      put_be(out, static_cast<std::uint64_t>(item.number()), 8);
      break;
    default:
      out.insert(out.end(), item.octets().begin(), item.octets().end());
  }
  out.resize(out.size() + padded(len) - len, 0);
}

Error malformed(const std::string& what) {
  return make_error(sqlstate::kProtocolViolation, "KMIP TTLV: " + what);
}

}  // namespace

// Reads items from a bounded buffer; all limits are checked before any byte is touched.
class Decoder {
 public:
  explicit Decoder(std::span<const std::uint8_t> in) : in_(in) {}

  Result<Item> item(std::size_t depth) {
    if (depth > kMaxDepth) return malformed("nesting deeper than " + std::to_string(kMaxDepth));
    if (++items_ > kMaxItems) return malformed("more than " + std::to_string(kMaxItems) + " items");
    if (in_.size() - pos_ < kHeader) return malformed("truncated item header");
    const std::uint8_t* h = in_.data() + pos_;
    const auto tag = static_cast<std::uint32_t>(get_be(h, 3));
    const std::uint8_t type = h[3];
    const std::size_t len = get_be(h + 4, 4);
    if (!valid_tag(tag)) return malformed("tag " + hex(tag) + " has neither 0x42 nor 0x54 prefix");
    if (!known_type(type)) return malformed("unknown item type " + hex(type));
    Item out(tag, static_cast<ItemType>(type));
    const std::size_t fixed = fixed_length(out.type_);
    if (fixed != 0 && len != fixed) return malformed("wrong length for the type of " + hex(tag));
    if (out.type_ == ItemType::kBigInteger && (len == 0 || len % 8 != 0))
      return malformed("big integer length not a non-zero multiple of 8");
    if (out.type_ == ItemType::kStructure && len % 8 != 0)
      return malformed("structure length not a multiple of 8");
    pos_ += kHeader;
    if (len > in_.size() - pos_ || padded(len) > in_.size() - pos_)
      return malformed("value of " + hex(tag) + " runs past the end of the message");
    if (out.type_ == ItemType::kStructure) {
      DBV_RETURN_IF_ERROR(children(out, pos_ + len, depth));
      return out;
    }
    DBV_RETURN_IF_ERROR(primitive(out, len));
    return out;
  }

  bool at_end() const { return pos_ == in_.size(); }

 private:
  static std::string hex(std::uint32_t v) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s = "0x";
    for (int shift = (v > 0xFF ? 20 : 4); shift >= 0; shift -= 4) s += kDigits[(v >> shift) & 0xF];
    return s;
  }

  Status children(Item& out, std::size_t end, std::size_t depth) {
    while (pos_ < end) {
      const std::span<const std::uint8_t> whole = in_;
      in_ = whole.first(end);  // a child may not run past its parent
      auto child = item(depth + 1);
      in_ = whole;
      if (!child) return std::move(child).error();
      out.children_.push_back(std::move(*child));
    }
    return ok_status();
  }

  Status primitive(Item& out, std::size_t len) {
    const std::uint8_t* v = in_.data() + pos_;
    for (std::size_t i = len; i < padded(len); ++i) {
      if (v[i] != 0) return malformed("non-zero padding after " + hex(out.tag_));
    }
    switch (out.type_) {
      case ItemType::kInteger:
        out.number_ = static_cast<std::int32_t>(get_be(v, 4));
        break;
      case ItemType::kEnumeration:
      case ItemType::kInterval:
        out.number_ = static_cast<std::int64_t>(get_be(v, 4));
        break;
      case ItemType::kBoolean:
        out.number_ = static_cast<std::int64_t>(get_be(v, 8));
        if (out.number_ > 1) return malformed("boolean " + hex(out.tag_) + " is neither 0 nor 1");
        break;
      case ItemType::kLongInteger:
      case ItemType::kDateTime:
        out.number_ = static_cast<std::int64_t>(get_be(v, 8));
        break;
      default:
        out.octets_.assign(v, v + len);
    }
    pos_ += padded(len);
    return ok_status();
  }

  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
  std::size_t items_ = 0;
};

Item Item::number_item(std::uint32_t tag, ItemType type, std::int64_t value) {
  Item i(tag, type);
  i.number_ = value;
  return i;
}
Item Item::octets_item(std::uint32_t tag, ItemType type, std::span<const std::uint8_t> value) {
  Item i(tag, type);
  i.octets_.assign(value.begin(), value.end());
  return i;
}

Item Item::structure(std::uint32_t tag, std::vector<Item> children) {
  Item i(tag, ItemType::kStructure);
  i.children_ = std::move(children);
  return i;
}
Item Item::integer(std::uint32_t tag, std::int32_t value) {
  return number_item(tag, ItemType::kInteger, value);
}
Item Item::long_integer(std::uint32_t tag, std::int64_t value) {
  return number_item(tag, ItemType::kLongInteger, value);
}
Item Item::big_integer(std::uint32_t tag, std::vector<std::uint8_t> twos_complement) {
  return octets_item(tag, ItemType::kBigInteger, twos_complement);
}
Item Item::enumeration(std::uint32_t tag, std::uint32_t value) {
  return number_item(tag, ItemType::kEnumeration, value);
}
Item Item::boolean(std::uint32_t tag, bool value) {
  return number_item(tag, ItemType::kBoolean, value ? 1 : 0);
}
Item Item::text(std::uint32_t tag, std::string_view value) {
  return octets_item(tag, ItemType::kTextString,
                     {reinterpret_cast<const std::uint8_t*>(value.data()), value.size()});
}
Item Item::bytes(std::uint32_t tag, std::span<const std::uint8_t> value) {
  return octets_item(tag, ItemType::kByteString, value);
}
Item Item::date_time(std::uint32_t tag, std::int64_t seconds_since_epoch) {
  return number_item(tag, ItemType::kDateTime, seconds_since_epoch);
}
Item Item::interval(std::uint32_t tag, std::uint32_t seconds) {
  return number_item(tag, ItemType::kInterval, seconds);
}

Item::~Item() {
  if (!octets_.empty()) OPENSSL_cleanse(octets_.data(), octets_.size());
}

const Item* Item::find(std::uint32_t tag) const {
  auto it = std::find_if(children_.begin(), children_.end(),
                         [tag](const Item& c) { return c.tag_ == tag; });
  return it == children_.end() ? nullptr : &*it;
}

std::vector<const Item*> Item::find_all(std::uint32_t tag) const {
  std::vector<const Item*> out;
  for (const Item& c : children_) {
    if (c.tag_ == tag) out.push_back(&c);
  }
  return out;
}

std::size_t encoded_size(const Item& item) { return kHeader + padded(value_length(item)); }

std::vector<std::uint8_t> encode(const Item& item) {
  std::vector<std::uint8_t> out;
  out.reserve(encoded_size(item));
  encode_into(item, out);
  return out;
}

Result<Item> decode(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > kMaxMessageBytes) return malformed("message larger than 1 MiB");
  Decoder d(bytes);
  auto item = d.item(0);
  if (!item) return item;
  if (!d.at_end()) return malformed("trailing bytes after the message");
  return item;
}

Result<std::size_t> message_size(std::span<const std::uint8_t> header) {
  const auto tag = static_cast<std::uint32_t>(get_be(header.data(), 3));
  const std::size_t len = get_be(header.data() + 4, 4);
  if (!valid_tag(tag)) return malformed("message does not start with a KMIP tag");
  if (header[3] != static_cast<std::uint8_t>(ItemType::kStructure))
    return malformed("message is not a structure");
  if (len % 8 != 0) return malformed("structure length not a multiple of 8");
  if (len > kMaxMessageBytes - kHeader) return malformed("message larger than 1 MiB");
  return kHeader + len;
}

}  // namespace dbvault::crypto::kmip
