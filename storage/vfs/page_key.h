// PageKey: the key an encrypted database is opened with, and PageCipher, the per-file object
// that seals and opens page images under it (format: page_format.h, docs/encryption.md).
//
// A PageKey holds either a TEK released by the KeyGate (crypto::TekHandle: the gate's shared,
// persisted invocation budget counts every page write, and no file can be opened once the
// handle's authorization ended) or key bytes handed over in a SecretBytes (tools, tests, the
// benchmark; one in-memory invocation budget shared by every file opened with it). Never a
// string.
//
// During a key rotation a PageKey is a key ring (PageKey::ring): several versions of the same
// TEK scope. Pages are sealed under the highest version and opened under the version their
// trailer names, so a file is readable while a rotation re-encrypts it (docs/encryption.md §12).
// Each version has its own algorithm: a rotation that changes the cipher (ENABLE ENCRYPTION,
// §12.5) makes a ring of an AES-256-GCM and a ChaCha20-Poly1305 version.
//
// Thread-safety: a PageKey is immutable and may be shared; a PageCipher belongs to one open file
// (SQLite serializes calls on one file) and is not synchronized.
#pragma once

#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "common/result.h"
#include "crypto/aead.h"
#include "crypto/key_gate.h"
#include "crypto/mac.h"
#include "crypto/secret_bytes.h"
#include "storage/vfs/checksum_mask.h"
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
  // A key ring of the versions of `keys` (each of its own algorithm, no version twice; else
  // 22023): seals under the highest, opens under any.
  static Result<std::shared_ptr<const PageKey>> ring(
      const std::vector<std::shared_ptr<const PageKey>>& keys);
  // The key ring of handles released by the gate (KeyGate::release_all).
  static Result<std::shared_ptr<const PageKey>> from_handles(
      std::vector<crypto::TekHandle> handles);

  // The algorithm of the version new pages are sealed under.
  crypto::AeadAlgorithm algorithm() const { return algorithm_; }
  // True if a version of the ring has `algorithm`.
  bool holds(crypto::AeadAlgorithm algorithm) const;
  // The version new pages are sealed under (the highest of the ring).
  std::uint32_t version() const { return version_; }
  // Every version the key opens, ascending.
  std::vector<std::uint32_t> versions() const;
  // A cipher for one file. 58000 if the key was zeroized or its authorization ended.
  Result<PageCipher> cipher() const;
  // True once a gate's handle was zeroized or its authorization ended (never for key bytes):
  // cipher() fails from then on, and a TdeVfs with a KeySource asks for a new key.
  bool expired() const;

  struct Material;  // page_key.cpp: one version's key
  // REQUIRES: `parts` non-empty, ascending by version (use the factories above).
  explicit PageKey(std::vector<std::shared_ptr<Material>> parts);

 private:
  crypto::AeadAlgorithm algorithm_;
  std::uint32_t version_;
  std::vector<std::shared_ptr<Material>> parts_;
};

class PageCipher {
 public:
  // One key version's ciphers: the page AEAD, the checksum mask and the state-record MAC key
  // (subkeys of that version's TEK).
  struct Layer {
    std::uint32_t version = 0;
    crypto::AeadAlgorithm algorithm = crypto::AeadAlgorithm::kAes256Gcm;
    crypto::Aead pages;
    ChecksumMask masks;
    crypto::SecretBytes state_key;
    // The gate's handle the layer was keyed from (none for key bytes): while the file is open
    // its cipher stays keyed, so live() asks the handle whether the key was withdrawn.
    std::optional<crypto::TekHandle> lease;
  };
  // REQUIRES: `layers` non-empty, ascending by version. Seals under the last one.
  explicit PageCipher(std::vector<Layer> layers);

  // False once a layer's key was withdrawn by the gate (a realm locked, the gate's expiry or
  // shutdown: tested on every call) or the authorization it was released on ended (the clock
  // is read at most every kLeaseCheckInterval). The VFS asks before every page it reads or
  // writes, so an open file, e.g. the checkpointer's in the middle of a checkpoint, stops using
  // a key once it is withdrawn: a released key never outlives its lock.
  bool live();
  static constexpr std::chrono::milliseconds kLeaseCheckInterval{5};

  // The version new images are sealed under, and its algorithm (what page 1's header names).
  std::uint32_t key_version() const { return layers_.back().version; }
  crypto::AeadAlgorithm algorithm() const { return layers_.back().algorithm; }

  // Seals the page `plain` into `out` (same size, a multiple of 512 bytes > kReservedBytes):
  // bytes [raw, size - kReservedBytes) are encrypted and the trailer is written; out[0, raw),
  // which the caller has filled, stays as it is (place.bound authenticates it). Fresh nonce.
  // On error `out` is zeroed. Errors: 55000 key budget spent; 58000 RNG/OpenSSL failure.
  Status seal(std::span<const std::uint8_t> plain, std::span<std::uint8_t> out,
              const FileId& file_id, const PagePlace& place, std::size_t raw = 0);
  // Opens the image in `page` in place, under the key version its trailer names: on success
  // [raw, size - kReservedBytes) is plaintext and the trailer is zeroed. On failure (XX001:
  // altered, moved, from another file, a key version this cipher does not hold, or wrong key)
  // the whole page is zeroed: never partly decrypted bytes.
  Status open(std::span<std::uint8_t> page, const FileId& file_id, const PagePlace& place,
              std::size_t raw = 0);
  // An 8-byte mask bound to the stamp of a page image (its key version and nonce: stamp_of)
  // hides a WAL frame's checksum, which SQLite computes over the plaintext. Derived under a
  // subkey of the stamp's key version (of the sealing version when this cipher does not hold
  // it, e.g. an all-zero stamp: the mask is then meaningless, as under a wrong key).
  Status mask(std::span<const std::uint8_t> stamp, std::span<std::uint8_t, 8> out);

  // HMAC-SHA256 of a WAL state record (wal_state.h), under another subkey of the sealing
  // version; verify_state accepts a tag under any version this cipher holds (a record written
  // before a rotation began).
  Result<crypto::MacTag> state_tag(std::span<const std::uint8_t> data) const;
  bool verify_state(std::span<const std::uint8_t> data, std::span<const std::uint8_t> tag) const;

  // The stamp stored in a page image's trailer: key version (4) and nonce (12).
  static constexpr std::size_t kStampSize = kKeyVersionSize + crypto::kAeadNonceSize;
  static std::span<const std::uint8_t> stamp_of(std::span<const std::uint8_t> page);
  // The key version a page image's trailer names.
  static std::uint32_t version_of(std::span<const std::uint8_t> page);

 private:
  Status next_nonce(std::span<std::uint8_t> out);
  Layer* layer_of(std::uint32_t version);

  static constexpr std::size_t kBatch = 64;
  std::vector<Layer> layers_;
  std::array<std::uint8_t, kBatch * crypto::kAeadNonceSize> nonces_{};
  std::size_t nonces_left_ = 0;
  // The fork generation (or process id) `nonces_` were drawn in: a child after fork() draws
  // its own.
  std::uint64_t nonce_origin_ = 0;
  std::chrono::steady_clock::time_point next_lease_check_{};
};

}  // namespace dbvault::storage::vfs
