#include "storage/columns/column_format.h"

#include <bit>
#include <cstring>
#include <string_view>

namespace dbvault::storage::columns {
namespace {

constexpr std::string_view kAadLabel = "dbvault column v1";

void put_u64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

std::uint64_t get_u64(std::span<const std::uint8_t> in) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | in[i];
  return v;
}

// Length-prefixed, so that ("ab", "c") and ("a", "bc") give different associated data.
void put_name(std::vector<std::uint8_t>& out, std::string_view name) {
  const auto n = static_cast<std::uint16_t>(name.size());
  out.push_back(static_cast<std::uint8_t>(n >> 8));
  out.push_back(static_cast<std::uint8_t>(n));
  out.insert(out.end(), name.begin(), name.begin() + n);
}

Error malformed(const ColumnIdentity& column, std::string_view why) {
  return make_error(sqlstate::kDataCorrupted, "the encrypted value in column " +
                                                  column_label(column) + " is malformed (" +
                                                  std::string(why) + ")");
}

}  // namespace

std::string_view mode_name(ColumnMode mode) {
  return mode == ColumnMode::kDeterministic ? "DETERMINISTIC" : "RANDOMIZED";
}

std::string column_label(const ColumnIdentity& column) {
  return column.table + "." + column.column;
}

PlainValue PlainValue::integer(std::int64_t v) {
  PlainValue p{ValueType::kInteger, {}};
  put_u64(p.bytes, static_cast<std::uint64_t>(v));
  return p;
}

PlainValue PlainValue::real(double v) {
  PlainValue p{ValueType::kReal, {}};
  put_u64(p.bytes, std::bit_cast<std::uint64_t>(v));
  return p;
}

PlainValue PlainValue::text(std::string_view v) {
  return {ValueType::kText, std::vector<std::uint8_t>(v.begin(), v.end())};
}

PlainValue PlainValue::blob(std::span<const std::uint8_t> v) {
  return {ValueType::kBlob, std::vector<std::uint8_t>(v.begin(), v.end())};
}

std::int64_t PlainValue::as_integer() const { return static_cast<std::int64_t>(get_u64(bytes)); }

double PlainValue::as_real() const { return std::bit_cast<double>(get_u64(bytes)); }

std::vector<std::uint8_t> encode_header(const ColumnHeader& header) {
  const std::uint32_t v = header.key_version;
  std::vector<std::uint8_t> out{kColumnFormatVersion,
                                static_cast<std::uint8_t>(header.mode),
                                static_cast<std::uint8_t>(v >> 24),
                                static_cast<std::uint8_t>(v >> 16),
                                static_cast<std::uint8_t>(v >> 8),
                                static_cast<std::uint8_t>(v)};
  if (header.row) put_u64(out, static_cast<std::uint64_t>(*header.row));
  return out;
}

Result<ColumnHeader> decode_header(std::span<const std::uint8_t> sealed,
                                   const ColumnIdentity& column) {
  if (sealed.size() < kColumnHeaderSize) return malformed(column, "too short");
  if (sealed[0] != kColumnFormatVersion) return malformed(column, "unknown format version");
  if (sealed[1] != static_cast<std::uint8_t>(ColumnMode::kRandomized) &&
      sealed[1] != static_cast<std::uint8_t>(ColumnMode::kDeterministic)) {
    return malformed(column, "unknown encryption type");
  }
  ColumnHeader h;
  h.mode = static_cast<ColumnMode>(sealed[1]);
  h.key_version = (std::uint32_t{sealed[2]} << 24) | (std::uint32_t{sealed[3]} << 16) |
                  (std::uint32_t{sealed[4]} << 8) | std::uint32_t{sealed[5]};
  if (h.key_version == 0) return malformed(column, "key version 0");
  if (h.mode == ColumnMode::kRandomized) {
    if (sealed.size() < kRandomizedHeaderSize) return malformed(column, "too short");
    h.row = static_cast<std::int64_t>(get_u64(sealed.subspan(kColumnHeaderSize)));
  }
  return h;
}

std::vector<std::uint8_t> associated_data(const ColumnIdentity& column,
                                          const ColumnHeader& header) {
  std::vector<std::uint8_t> aad(kAadLabel.begin(), kAadLabel.end());
  aad.push_back(0);
  put_name(aad, column.table);
  put_name(aad, column.column);
  const auto h = encode_header(header);
  aad.insert(aad.end(), h.begin(), h.end());
  return aad;
}

std::vector<std::uint8_t> encode_plaintext(const PlainValue& value) {
  std::vector<std::uint8_t> out;
  out.reserve(value.bytes.size() + 1);
  out.push_back(static_cast<std::uint8_t>(value.type));
  out.insert(out.end(), value.bytes.begin(), value.bytes.end());
  return out;
}

Result<PlainValue> decode_plaintext(std::span<const std::uint8_t> plaintext,
                                    const ColumnIdentity& column) {
  if (plaintext.empty()) return malformed(column, "no type");
  const std::uint8_t type = plaintext[0];
  if (type < 1 || type > 4) return malformed(column, "unknown value type");
  PlainValue p{static_cast<ValueType>(type),
               std::vector<std::uint8_t>(plaintext.begin() + 1, plaintext.end())};
  if ((p.type == ValueType::kInteger || p.type == ValueType::kReal) && p.bytes.size() != 8) {
    return malformed(column, "numeric value of the wrong size");
  }
  return p;
}

}  // namespace dbvault::storage::columns
