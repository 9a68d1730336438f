// Credentials the vault creates or checks outside Argon2id: SCRAM-SHA-256 verifiers for user
// passwords (stored as PostgreSQL stores them), vault tokens, and random ids and passwords.
//
// Vault token format, version 2 (docs/vault.md §5.2):
//   dbvt2.<token_id>.<mac>
//   token_id  "vt_" + 24 lower-case hex digits (96 random bits): the public id, stored in
//             policy.db and accepted by REVOKE VAULT TOKEN
//   mac       base64url (no padding) of HMAC-SHA256(token_key,
//             "dbvt2" 0x00 token_id 0x00 user 0x00 realm 0x00 expires_at_us 0x00 generation),
//             where token_key = HKDF-SHA256(root key, info "dbvault vault-token v1"),
//             expires_at_us is the decimal expiry in microseconds since the epoch, and
//             generation names the secret that admitted the unlock: the realm password's PHC
//             string (a fresh salt every SET VAULT PASSWORD) or the temporary grant's id.
// The token text itself is never stored: the vault stores (id, user, realm, issued, expires,
// revoked, grant) and recomputes the MAC from that row and the realm's current password when
// a token is presented, so a token dies with the password generation that issued it.
//
// Thread-safety: stateless functions; TokenMac is immutable after creation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/secret_string.h"
#include "crypto/secret_bytes.h"

namespace dbvault::vault {

// "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>" (RFC 5802/7677, base64),
// PBKDF2-HMAC-SHA256 with a 16-byte random salt. The password is used as given (no SASLprep).
// 58000 if OpenSSL or the CSPRNG fails.
Result<std::string> make_scram_verifier(const SecretString& password, int iterations = 4096);
// True if `password` matches `verifier`; 22023 when the verifier is malformed.
Result<bool> verify_scram_password(const SecretString& password, std::string_view verifier);

// A public id: prefix + 24 hex digits of random. 58000 if the CSPRNG fails.
Result<std::string> random_id(std::string_view prefix);
// A random temporary vault password (24 characters of base64url, 144 bits).
Result<SecretString> random_password();

struct TokenParts {
  std::string token_id;  // public
  SecretString mac;      // base64url as in the token: the secret part, wiped with the parts
};
// Splits a token; 28P01 "invalid vault token" when it is not in the format above.
Result<TokenParts> parse_token(std::string_view token);

class TokenMac {
 public:
  // Derives the token key from `root_key`. 22023 if it is empty.
  static Result<TokenMac> create(const crypto::SecretBytes& root_key);
  // What a token is issued for and checked against (see the format above).
  struct Claims {
    std::string_view user;
    std::string_view realm;
    std::int64_t expires_us = 0;
    std::string_view generation;
  };
  // The full token text for the given record.
  Result<SecretString> issue(std::string_view token_id, const Claims& claims) const;
  // True if `parts.mac` is the MAC of the record (constant-time comparison). Every copy of
  // the expected and the presented MAC it makes is wiped before it returns.
  bool verify(const TokenParts& parts, const Claims& claims) const;

 private:
  explicit TokenMac(crypto::SecretBytes key) : key_(std::move(key)) {}
  crypto::SecretBytes key_;
};

}  // namespace dbvault::vault
