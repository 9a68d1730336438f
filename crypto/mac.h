// HMAC-SHA256 (RFC 2104 / FIPS 198-1): the audit hash chain, token MACs and the binding tag of
// wrapped-key records. Thread-safety: the free functions are stateless; one HmacSha256 object
// is not synchronized.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "common/result.h"
#include "crypto/openssl_util.h"
#include "crypto/secret_bytes.h"

namespace dbvault::crypto {

using MacTag = std::array<std::uint8_t, 32>;

// One-shot MAC. REQUIRES: !key.empty() (else 22023). 58000 if OpenSSL fails.
Result<MacTag> hmac_sha256(const SecretBytes& key, std::span<const std::uint8_t> data);

// Recomputes the MAC and compares in constant time; the recomputed tag is wiped before it
// returns. False for any error.
bool verify_hmac_sha256(const SecretBytes& key, std::span<const std::uint8_t> data,
                        std::span<const std::uint8_t> tag);

// Constant-time equality of two byte strings (time depends only on the sizes).
bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

// Incremental MAC over data that arrives in pieces (e.g. prev_hash || canonical record).
class HmacSha256 {
 public:
  // REQUIRES: !key.empty(). The key is copied into OpenSSL's context (cleansed on destruction).
  static Result<HmacSha256> create(const SecretBytes& key);
  HmacSha256(HmacSha256&&) noexcept = default;
  HmacSha256& operator=(HmacSha256&&) noexcept = default;

  Status update(std::span<const std::uint8_t> data);
  // Returns the tag and resets the object to its keyed initial state for the next message.
  Result<MacTag> finish();

 private:
  explicit HmacSha256(internal::MacCtxPtr ctx) : ctx_(std::move(ctx)) {}
  internal::MacCtxPtr ctx_;
};

}  // namespace dbvault::crypto
