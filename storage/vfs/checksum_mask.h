// ChecksumMask: the 8-byte mask that hides a WAL frame's checksum (docs/encryption.md §3.4),
// computed as one block of keystream instead of a whole AEAD operation.
//
// The mask of an image with nonce N is, by definition of format version 2, the first 8 bytes
// that AEAD_K'(N) would XOR onto the plaintext, under the subkey K' = HKDF(TEK, "dbvault tde
// wal-checksum-mask v1"):
//   AES-256-GCM:        AES_K'(N || 00 00 00 02)   (GCM's first counter block, J0 + 1)
//   ChaCha20-Poly1305:  ChaCha20_K'(N, counter 1)  (RFC 8439: block 0 keys Poly1305)
// ChecksumMask computes exactly those bytes (AES: one ECB block under a context keyed once;
// ChaCha20: the raw stream cipher), so files written before and after are the same format,
// without the tag, the AAD pass and the AEAD's re-initialization per frame. The output is a
// pseudo-random function of the nonce; nonces are never reused under one TEK (page_key.h), so
// no mask is used twice.
//
// Thread-safety: one ChecksumMask belongs to one PageCipher (one open file); not synchronized.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <span>

#include "common/result.h"
#include "crypto/aead.h"
#include "crypto/secret_bytes.h"

namespace dbvault::storage::vfs {

class ChecksumMask {
 public:
  // REQUIRES: key.size() == 32. 58000 if OpenSSL lacks the cipher.
  static Result<ChecksumMask> create(crypto::AeadAlgorithm algorithm,
                                     const crypto::SecretBytes& key);

  // The mask for the image nonce `nonce` (crypto::kAeadNonceSize bytes) into `out`.
  // On error (58000, OpenSSL failure) `out` is zeroed.
  Status compute(std::span<const std::uint8_t> nonce, std::span<std::uint8_t, 8> out);

 private:
  struct CtxFree {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
  };
  ChecksumMask(crypto::AeadAlgorithm algorithm, std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx)
      : algorithm_(algorithm), ctx_(std::move(ctx)) {}

  crypto::AeadAlgorithm algorithm_;
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx_;  // keyed once (EVP keeps its own key copy)
};

}  // namespace dbvault::storage::vfs
