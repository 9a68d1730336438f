// Argon2id (RFC 9106) password hashing for vault passwords, stored as PHC strings
// ("$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>") so that each hash carries the parameters it
// was made with and parameters can be raised later without invalidating old hashes.
// Thread-safety: stateless; call from any thread. Each call allocates memory_kib KiB.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/secret_string.h"
#include "crypto/secret_bytes.h"

namespace dbvault::crypto {

// Defaults are the OWASP minimum for Argon2id (m = 19 MiB, t = 2, p = 1).
struct Argon2Params {
  std::uint32_t memory_kib = 19 * 1024;
  std::uint32_t iterations = 2;
  std::uint32_t parallelism = 1;
  std::uint32_t salt_bytes = 16;
  std::uint32_t hash_bytes = 32;
};

// Checks the parameters' bounds: memory 8*p KiB .. 4 GiB, iterations 1..64, parallelism 1..16,
// salt >= 16 bytes, hash 16..64 bytes. Violations are 22023. Why upper bounds: a PHC string
// read from the policy store must not make verification allocate without limit.
Status validate(const Argon2Params& params);

// A PHC string for `password` with a fresh random salt. Errors: 22023 for bad parameters,
// 58000 if hashing fails (e.g. memory cannot be allocated).
Result<std::string> hash_password(const SecretString& password, const Argon2Params& params = {});

// True if `password` matches `phc` (compared in constant time). False on mismatch.
// 22023 if `phc` is not an argon2id PHC string within validate()'s bounds (never "false": a
// corrupted stored hash must be noticed, not treated as a wrong password).
Result<bool> verify_password(const SecretString& password, std::string_view phc);

// How many Argon2id password hashes (hash_password) and verifications (verify_password) this
// process has run. Why: the cost of a check must not depend on secrets (e.g. whether a user
// holds a vault password), and the tests prove that by counting KDF runs, not by timing.
std::uint64_t password_kdf_runs();

// The parameters recorded in `phc` (22023 if malformed), e.g. to decide whether to rehash.
Result<Argon2Params> parse_phc_params(std::string_view phc);

// Raw Argon2id with optional secret (pepper) and associated data, returning `out_bytes` of key
// material: RFC 9106 §3.1 with the inputs named as there. Used for the RFC 9106 known-answer
// test and for deriving keys from passphrases.
struct Argon2Inputs {
  std::span<const std::uint8_t> password;
  std::span<const std::uint8_t> salt;
  std::span<const std::uint8_t> secret;
  std::span<const std::uint8_t> associated_data;
};
Result<SecretBytes> argon2id_derive(const Argon2Inputs& inputs, const Argon2Params& params,
                                    std::size_t out_bytes);

}  // namespace dbvault::crypto
