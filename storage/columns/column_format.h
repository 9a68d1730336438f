// The stored form of an encrypted column value, format version 1 (docs/encryption.md §13.2):
// the header a sealed value starts with, the associated data that binds it to its table, column
// and (RANDOMIZED) row, and the plaintext encoding that keeps a value's SQLite type.
//
//   sealed value (a BLOB in the column):
//     offset 0  format version   0x01
//     offset 1  mode             0x01 RANDOMIZED (AES-256-GCM) | 0x02 DETERMINISTIC (AES-256-SIV)
//     offset 2  key version      uint32, big-endian: the columns:<schema.table> TEK version
//     RANDOMIZED only:
//     offset 6  rowid            int64, big-endian: the row the value was sealed for
//     then      body             RANDOMIZED: nonce(12) || ciphertext || tag(16)
//                                DETERMINISTIC: SIV(16) || ciphertext (crypto/deterministic_aead.h)
//   plaintext inside the body:   type (1 byte) || value bytes
//     0x01 INTEGER  8 bytes, two's complement, big-endian
//     0x02 REAL     8 bytes, IEEE-754 binary64, big-endian
//     0x03 TEXT     UTF-8 bytes as SQLite holds them (no terminator)
//     0x04 BLOB     the bytes
//   associated data (not stored):
//     "dbvault column v1" 0x00 || u16 len || table || u16 len || column || header
//
// The header is authenticated (it is part of the AAD), so a value cannot be relabelled to
// another mode, key version or row. The rowid is carried (it is no secret: the row shows it)
// so that the result path, which sees a result column but not its row, can open the value;
// every write checks it against the row written (ColumnCipher::open with the row), so a value
// cannot be stored in another row through the engine. NULL is not encrypted: it stays NULL
// (nullness is visible).
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"

namespace dbvault::storage::columns {

enum class ColumnMode : std::uint8_t { kRandomized = 1, kDeterministic = 2 };

// "RANDOMIZED" / "DETERMINISTIC", as the statements and vault.settings spell them.
std::string_view mode_name(ColumnMode mode);

inline constexpr std::uint8_t kColumnFormatVersion = 1;
inline constexpr std::size_t kColumnHeaderSize = 6;          // DETERMINISTIC
inline constexpr std::size_t kRandomizedHeaderSize = 6 + 8;  // + rowid

// Which column a value belongs to: the table as the vault names it ("main.t", "ts.t", folded to
// lower case by the caller) and the column name (lower case).
struct ColumnIdentity {
  std::string table;
  std::string column;
};

struct ColumnHeader {
  ColumnMode mode = ColumnMode::kRandomized;
  std::uint32_t key_version = 0;
  std::optional<std::int64_t> row;  // RANDOMIZED only
  std::size_t size() const { return row ? kRandomizedHeaderSize : kColumnHeaderSize; }
};

enum class ValueType : std::uint8_t { kInteger = 1, kReal = 2, kText = 3, kBlob = 4 };

// A non-NULL SQL value in the clear.
struct PlainValue {
  ValueType type = ValueType::kBlob;
  std::vector<std::uint8_t> bytes;  // INTEGER/REAL: 8 bytes big-endian; TEXT: UTF-8; BLOB: bytes

  static PlainValue integer(std::int64_t v);
  static PlainValue real(double v);
  static PlainValue text(std::string_view v);
  static PlainValue blob(std::span<const std::uint8_t> v);
  // REQUIRES: type == kInteger / kReal (and 8 bytes, which decode guarantees).
  std::int64_t as_integer() const;
  double as_real() const;
  std::string as_text() const { return {bytes.begin(), bytes.end()}; }
  bool operator==(const PlainValue&) const = default;
};

std::vector<std::uint8_t> encode_header(const ColumnHeader& header);
// Reads the header of a sealed value. XX001 when it is too short, of another format version or
// an unknown mode, or key version 0 (the message names the column, never a byte of the value).
Result<ColumnHeader> decode_header(std::span<const std::uint8_t> sealed,
                                   const ColumnIdentity& column);

// The associated data of a value of `column` with `header` (whose row, for RANDOMIZED values,
// binds the row; DETERMINISTIC values have none, as they must compare equal across rows).
std::vector<std::uint8_t> associated_data(const ColumnIdentity& column, const ColumnHeader& header);

std::vector<std::uint8_t> encode_plaintext(const PlainValue& value);
// XX001 for an empty input, an unknown type byte or a numeric value not of 8 bytes: possible only
// for a value that authenticated, i.e. a bug or a forged key, but still never guessed at.
Result<PlainValue> decode_plaintext(std::span<const std::uint8_t> plaintext,
                                    const ColumnIdentity& column);

// "main.t.ssn": how messages name a column.
std::string column_label(const ColumnIdentity& column);

}  // namespace dbvault::storage::columns
