// HKDF-SHA256 (RFC 5869): derives purpose-bound subkeys (the audit MAC key, the token MAC key,
// the deterministic-encryption key of a column, ...) from one 256-bit root key, so that one
// key is never used for two purposes. Thread-safety: stateless; call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/result.h"
#include "crypto/secret_bytes.h"

namespace dbvault::crypto {

// Extract-then-expand. `info` names the purpose and should carry a version, e.g.
// "dbvault audit-mac v1". REQUIRES: 1 <= length <= 255 * 32 and !ikm.empty() (else 22023).
// Returns 58000 if OpenSSL fails.
Result<SecretBytes> hkdf_sha256(const SecretBytes& ikm, std::span<const std::uint8_t> salt,
                                std::span<const std::uint8_t> info, std::size_t length);

// Convenience for the common case: empty salt, textual info, 32-byte output.
Result<SecretBytes> derive_subkey(const SecretBytes& root_key, std::string_view purpose);

}  // namespace dbvault::crypto
