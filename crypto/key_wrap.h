// AES key wrap with padding (RFC 5649, NIST SP 800-38F KWP) under a 256-bit key-encryption key
// (KEK): the format of every wrapped TEK, whether the MEK is in memory (env, file) or in an HSM
// (PKCS#11 CKM_AES_KEY_WRAP_PAD produces the same bytes). Key wrap is deterministic and carries a
// 32-bit integrity check in its IV, which is why it is used for keys and never for data.
// Thread-safety: stateless; call from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/result.h"
#include "crypto/secret_bytes.h"

namespace dbvault::crypto {

// REQUIRES: kek.size() is 16, 24 or 32 (AES-128/192/256; dbvault's KEKs are always 32 bytes,
// the smaller sizes exist for the RFC 5649 test vectors) and 1 <= key.size() <= 4096 (else
// 22023).
// Returns ceil(key.size() / 8) * 8 + 8 bytes.
Result<std::vector<std::uint8_t>> wrap_key(const SecretBytes& kek, const SecretBytes& key);

// Inverse of wrap_key. A wrong KEK or any altered byte → XX001, and no key is returned.
Result<SecretBytes> unwrap_key(const SecretBytes& kek, std::span<const std::uint8_t> wrapped);

}  // namespace dbvault::crypto
