// ColumnCipher: seals and opens the values of a table's encrypted columns (format:
// storage/columns/column_format.h, docs/encryption.md §13) under one version of the table's
// column TEK (crypto::KeyScope::columns("<schema.table>")).
//
// RANDOMIZED values are AES-256-GCM with a fresh nonce (crypto::Aead), bound to table, column
// and rowid: equal values give unrelated ciphertexts, and a value copied to another row or
// column does not open. DETERMINISTIC values are AES-256-SIV (crypto::DeterministicAead), bound
// to table and column only: equal values of one column give equal ciphertexts (that is what
// lets the engine answer `=` and use an index), and nothing else about them is revealed.
//
// Errors never carry a byte of plaintext or ciphertext: the message names the column.
// Thread-safety: NOT safe for concurrent use (the Aead keeps a keyed context); make one per
// statement from the gate's handle, so that a key locked or expired since is not used.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/result.h"
#include "crypto/aead.h"
#include "crypto/deterministic_aead.h"
#include "crypto/key_gate.h"
#include "storage/columns/column_format.h"

namespace dbvault::storage::columns {

class ColumnCipher {
 public:
  // Keyed with a TEK the KeyGate released for the table's columns scope. REQUIRES: the handle
  // is of a columns:<table> scope with an AES-256-GCM record (22023 otherwise). 58000 when the
  // key was zeroized or its authorization ended (release it again). RANDOMIZED seals count
  // against the key version's shared, persisted nonce budget.
  static Result<ColumnCipher> from_handle(const crypto::TekHandle& handle);
  // Keyed directly (tests, tools): both objects made from the same 32-byte TEK of `key_version`.
  ColumnCipher(crypto::Aead randomized, crypto::DeterministicAead deterministic,
               std::uint32_t key_version);

  std::uint32_t key_version() const { return key_version_; }

  // Seals a non-NULL value of `column`. `row` is the rowid of the row the value goes into:
  // REQUIRED for RANDOMIZED, and must be absent for DETERMINISTIC (22023 otherwise). 22023 for
  // a table or column name of more than 255 bytes; 55000 when the key's nonce budget is spent
  // (rotate the key); 58000 when OpenSSL fails.
  Result<std::vector<std::uint8_t>> seal(const ColumnIdentity& column, ColumnMode mode,
                                         std::optional<std::int64_t> row, const PlainValue& value);

  // Opens a value read from `column`, whose metadata says `mode`. For RANDOMIZED values `row`,
  // when given, must be the row the value was sealed for (a write checks the row it writes);
  // without it the value's own rowid is used (the result path, which does not see the row).
  // DETERMINISTIC: `row` must be absent (22023). XX001 (and no plaintext) when the value is not
  // a sealed value of this format, was sealed for the other mode, under another key version,
  // for another table, column or row, or was altered.
  Result<PlainValue> open(const ColumnIdentity& column, ColumnMode mode,
                          std::optional<std::int64_t> row, std::span<const std::uint8_t> sealed);

 private:
  crypto::Aead randomized_;
  crypto::DeterministicAead deterministic_;
  std::uint32_t key_version_;
};

}  // namespace dbvault::storage::columns
