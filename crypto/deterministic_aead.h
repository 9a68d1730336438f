// Deterministic authenticated encryption for equality-searchable columns: AES-256-SIV
// (RFC 5297), which OpenSSL 3.0's default provider implements as the cipher "AES-256-SIV".
//
// Why SIV and not "GCM with an HMAC-derived IV": SIV is a standardized misuse-resistant
// construction with a proof for exactly this use; the GCM variant would be our own design.
// Equal (plaintext, AAD) pairs give equal ciphertexts under one key (that is the point: an
// index can find them) and reveal nothing else. Use the column's identity as AAD so that equal
// values in different columns do not match.
//
// Key: SIV needs two AES-256 keys (512 bits). create() derives them from a 256-bit TEK with
// HKDF-SHA256 (info "dbvault det-aead AES-256-SIV v1"), so a TEK stays 256 bits everywhere.
//
// Layout (format 1): synthetic IV (16 bytes) || SIV-ciphertext of (0x01 || plaintext). The
// version byte is inside the encryption, so it is authenticated and the ciphertext of an empty
// value is not empty.
// Thread-safety: an object may be used from several threads (each call has its own context).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/result.h"
#include "crypto/secret_bytes.h"

namespace dbvault::crypto {

inline constexpr std::size_t kSivSize = 16;
inline constexpr std::size_t kDeterministicOverhead = kSivSize + 1;

class DeterministicAead {
 public:
  // REQUIRES: tek.size() == 32 (else 22023).
  static Result<DeterministicAead> create(const SecretBytes& tek);
  // REQUIRES: siv_key.size() == 64: the two AES-256 keys of RFC 5297 (for known-answer tests).
  static Result<DeterministicAead> create_with_siv_key(const SecretBytes& siv_key);

  // Returns SIV || ciphertext. 58000 if OpenSSL fails.
  Result<std::vector<std::uint8_t>> seal(std::span<const std::uint8_t> plaintext,
                                         std::span<const std::uint8_t> aad) const;
  // Any altered byte of ciphertext or AAD → XX001, no plaintext returned.
  Result<std::vector<std::uint8_t>> open(std::span<const std::uint8_t> sealed,
                                         std::span<const std::uint8_t> aad) const;

 private:
  explicit DeterministicAead(SecretBytes key) : key_(std::move(key)) {}
  SecretBytes key_;  // 64 bytes
};

}  // namespace dbvault::crypto
