// The CSPRNG: OpenSSL's DRBG (seeded from the OS, reseeded automatically, fork-safe).
// Thread-safety: all functions may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/result.h"
#include "crypto/secret_bytes.h"

namespace dbvault::crypto {

// Fills `out` with random bytes for public values (nonces, salts, ids).
// Returns 58000 if the DRBG cannot be seeded; `out` is then zeroed, never partly random.
Status random_bytes(std::span<std::uint8_t> out);

// A fresh random key of `size` bytes, drawn from the private DRBG (kept apart from the one
// that produces public nonces, so that a weakness exposing public output reveals no key).
Result<SecretBytes> random_key(std::size_t size = 32);

}  // namespace dbvault::crypto
