#include "storage/columns/column_cipher.h"

#include <string>

namespace dbvault::storage::columns {
namespace {

constexpr std::size_t kMaxNameBytes = 255;

Status check_row(const ColumnIdentity& column, ColumnMode mode, std::optional<std::int64_t> row) {
  if (mode == ColumnMode::kRandomized && !row) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "a RANDOMIZED value of " + column_label(column) + " needs its row's rowid");
  }
  if (mode == ColumnMode::kDeterministic && row) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "a DETERMINISTIC value of " + column_label(column) +
                          " is not bound to a row (it must compare equal across rows)");
  }
  return ok_status();
}

Error does_not_open(const ColumnIdentity& column, std::string_view why) {
  return make_error(sqlstate::kDataCorrupted, "the encrypted value in column " +
                                                  column_label(column) + " does not decrypt " +
                                                  std::string(why));
}

}  // namespace

Result<ColumnCipher> ColumnCipher::from_handle(const crypto::TekHandle& handle) {
  if (handle.info().scope.kind() != crypto::ScopeKind::kColumns) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "key " + handle.key_id() + " is not a column key");
  }
  if (handle.info().algorithm != crypto::AeadAlgorithm::kAes256Gcm) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "column key " + handle.key_id() + " must be AES-256-GCM");
  }
  auto aead = handle.aead();
  if (!aead) return std::move(aead).error();
  auto det = handle.deterministic_aead();
  if (!det) return std::move(det).error();
  return ColumnCipher(std::move(*aead), std::move(*det), handle.info().version);
}

ColumnCipher::ColumnCipher(crypto::Aead randomized, crypto::DeterministicAead deterministic,
                           std::uint32_t key_version)
    : randomized_(std::move(randomized)),
      deterministic_(std::move(deterministic)),
      key_version_(key_version) {}

Result<std::vector<std::uint8_t>> ColumnCipher::seal(const ColumnIdentity& column, ColumnMode mode,
                                                     std::optional<std::int64_t> row,
                                                     const PlainValue& value) {
  if (column.table.size() > kMaxNameBytes || column.column.size() > kMaxNameBytes) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "an encrypted column's table and column names are at most 255 bytes");
  }
  DBV_RETURN_IF_ERROR(check_row(column, mode, row));
  const ColumnHeader header{mode, key_version_, row};
  const auto aad = associated_data(column, header);
  const auto plaintext = encode_plaintext(value);
  auto body = mode == ColumnMode::kRandomized ? randomized_.seal(plaintext, aad)
                                              : deterministic_.seal(plaintext, aad);
  if (!body) return std::move(body).error();
  auto out = encode_header(header);
  out.insert(out.end(), body->begin(), body->end());
  return out;
}

Result<PlainValue> ColumnCipher::open(const ColumnIdentity& column, ColumnMode mode,
                                      std::optional<std::int64_t> row,
                                      std::span<const std::uint8_t> sealed) {
  if (mode == ColumnMode::kDeterministic) DBV_RETURN_IF_ERROR(check_row(column, mode, row));
  auto header = decode_header(sealed, column);
  if (!header) return std::move(header).error();
  if (header->mode != mode) {
    return does_not_open(column, std::string("(it was sealed as ") +
                                     std::string(mode_name(header->mode)) + ", the column is " +
                                     std::string(mode_name(mode)) + ")");
  }
  if (header->key_version != key_version_) {
    return does_not_open(column, "(it was sealed under key version " +
                                     std::to_string(header->key_version) + ", not " +
                                     std::to_string(key_version_) + ")");
  }
  if (row && header->row != row) {
    return does_not_open(column, "in this row (it was sealed for another row)");
  }
  const auto aad = associated_data(column, *header);
  const auto body = sealed.subspan(header->size());
  auto plaintext = mode == ColumnMode::kRandomized ? randomized_.open(body, aad)
                                                   : deterministic_.open(body, aad);
  if (!plaintext) {
    return does_not_open(column, "(altered, or copied from another row, column or table)");
  }
  return decode_plaintext(*plaintext, column);
}

}  // namespace dbvault::storage::columns
