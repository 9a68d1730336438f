// PageKey: the key an encrypted database is opened with, and PageCipher, the per-file object
// that seals and opens page images under it (format: page_format.h, docs/encryption.md).
//
// A PageKey holds either a TEK released by the KeyGate (crypto::TekHandle: the gate's shared,
// persisted invocation budget counts every page write, and no file can be opened once the
// handle's authorization ended) or key bytes handed over in a SecretBytes (tools, tests, the
// benchmark; one in-memory invocation budget shared by every file opened with it). Never a
// string.
//
// Thread-safety: a PageKey is immutable and may be shared; a PageCipher belongs to one open file
// (SQLite serializes calls on one file) and is not synchronized.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "common/result.h"
#include "crypto/aead.h"
#include "crypto/key_gate.h"
#include "crypto/mac.h"
#include "crypto/secret_bytes.h"
#include "storage/vfs/page_format.h"

namespace dbvault::storage::vfs {

class PageCipher;

class PageKey {
 public:
  // REQUIRES: key.size() == 32 (else 22023). The bytes are copied (into locked memory).
  static Result<std::shared_ptr<const PageKey>> from_secret(crypto::AeadAlgorithm algorithm,
                                                            std::uint32_t key_version,
                                                            const crypto::SecretBytes& key);
  // A TEK released by KeyGate::release (scope KeyScope::tablespace). 58000 if it already
  // expired.
  static Result<std::shared_ptr<const PageKey>> from_handle(crypto::TekHandle handle);

  crypto::AeadAlgorithm algorithm() const { return algorithm_; }
  std::uint32_t version() const { return version_; }
  // A cipher for one file. 58000 if the key was zeroized or its authorization ended.
  Result<PageCipher> cipher() const;
  // True once a gate's handle was zeroized or its authorization ended (never for key bytes):
  // cipher() fails from then on, and a TdeVfs with a KeySource asks for a new key.
  bool expired() const;

  struct Material;  // page_key.cpp
  PageKey(crypto::AeadAlgorithm algorithm, std::uint32_t version, std::shared_ptr<Material> m);

 private:
  crypto::AeadAlgorithm algorithm_;
  std::uint32_t version_;
  std::shared_ptr<Material> material_;
};

class PageCipher {
 public:
  PageCipher(crypto::Aead pages, crypto::Aead masks, crypto::SecretBytes state_key,
             std::uint32_t key_version);

  // Seals the page `plain` into `out` (same size, a multiple of 512 bytes > kReservedBytes):
  // bytes [raw, size - kReservedBytes) are encrypted and the trailer is written; out[0, raw),
  // which the caller has filled, stays as it is (place.bound authenticates it). Fresh nonce.
  // On error `out` is zeroed. Errors: 55000 key budget spent; 58000 RNG/OpenSSL failure.
  Status seal(std::span<const std::uint8_t> plain, std::span<std::uint8_t> out,
              const FileId& file_id, const PagePlace& place, std::size_t raw = 0);
  // Opens the image in `page` in place: on success [raw, size - kReservedBytes) is plaintext
  // and the trailer is zeroed. On failure (XX001: altered, moved, from another file, other key
  // version or wrong key) the whole page is zeroed: never partly decrypted bytes.
  Status open(std::span<std::uint8_t> page, const FileId& file_id, const PagePlace& place,
              std::size_t raw = 0);
  // An 8-byte mask bound to the nonce of a page image (hides a WAL frame's checksum, which
  // SQLite computes over the plaintext). Derived under a subkey of the TEK.
  Status mask(std::span<const std::uint8_t> nonce, std::span<std::uint8_t, 8> out);

  // HMAC-SHA256 of a WAL state record (wal_state.h), under another subkey of the TEK.
  Result<crypto::MacTag> state_tag(std::span<const std::uint8_t> data) const;
  bool verify_state(std::span<const std::uint8_t> data, std::span<const std::uint8_t> tag) const;

  // The nonce stored in a page image's trailer.
  static std::span<const std::uint8_t> nonce_of(std::span<const std::uint8_t> page);

 private:
  Status next_nonce(std::span<std::uint8_t> out);

  static constexpr std::size_t kBatch = 64;
  crypto::Aead pages_;
  crypto::Aead masks_;
  crypto::SecretBytes state_key_;
  std::uint32_t key_version_;
  std::array<std::uint8_t, kBatch * crypto::kAeadNonceSize> nonces_{};
  std::size_t nonces_left_ = 0;
  pid_t nonce_pid_ = 0;  // a child after fork() draws its own nonces
};

}  // namespace dbvault::storage::vfs
