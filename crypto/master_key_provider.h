// MasterKeyProvider: where the master encryption key (MEK) lives and the only code that uses it.
//
// The MEK does one thing: it wraps and unwraps TEKs (RFC 5649 key wrap with padding, the same
// bytes whichever provider holds the MEK). Implementations:
//   env     — crypto/env_provider.h   (DBVAULT_MASTER_KEY_HEX + DBVAULT_MASTER_KEY_ID)
//   file    — crypto/file_provider.h  (0600 key file in keys/, development only)
//   pkcs11  — crypto/pkcs11_provider.h (non-extractable AES key inside an HSM token)
//   kmip    — crypto/kmip_provider.h   (AES key inside a KMIP key manager; Encrypt/Decrypt there)
// A cloud KMS (AWS KMS, Azure Key Vault, HashiCorp Vault transit) would plug in here the same
// way: wrap/unwrap call the service's Encrypt/Decrypt, check() its describe API, key_id() its
// key ARN/URI. None is built in: none can be reached from where dbvault is tested.
//
// Every error is 58000 (system_error) with a message that names the provider and the key id,
// never key material. There is no fallback from one provider to another.
//
// Thread-safety: implementations must allow concurrent calls of all methods.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "crypto/secret_bytes.h"

namespace dbvault::crypto {

class MasterKeyProvider {
 public:
  virtual ~MasterKeyProvider() = default;

  // "env", "file", "pkcs11" or "kmip"; recorded with the key-check value in keys/keys.db.
  virtual std::string_view kind() const = 0;
  // The MEK's non-secret identifier (1..64 of [A-Za-z0-9._-]).
  virtual const std::string& key_id() const = 0;

  // Wrap of `key` (1..64 bytes) under the MEK: RFC 5649 for env/file/pkcs11, the provider's own
  // format otherwise (opaque to callers). 58000 if the MEK is unreachable.
  virtual Result<std::vector<std::uint8_t>> wrap(const SecretBytes& key) = 0;
  // Inverse of wrap. 58000 if the MEK is unreachable or `wrapped` does not unwrap under it
  // (another MEK, or an altered record); no key material is returned then.
  virtual Result<SecretBytes> unwrap(std::span<const std::uint8_t> wrapped) = 0;
  // Ok when the MEK is usable now; 58000 when not (HSM token removed, session lost, ...).
  virtual Status check() = 0;
};

// The key-check value of the provider's MEK: the RFC 5649 wrap of a fixed 32-byte constant.
// Key wrap is deterministic, so the same MEK always gives the same value and another MEK a
// different one; comparing it proves which MEK a provider holds without decrypting any data.
Result<std::vector<std::uint8_t>> key_check_value(MasterKeyProvider& provider);

// Whether `stored` is the key-check value of the provider's MEK. `fresh` is a value just made by
// key_check_value(provider) (which also proves the MEK reachable). A deterministic wrap (RFC
// 5649: env, file, pkcs11) gives the same bytes, compared in constant time; a randomized one
// (kmip: AES-GCM with a fresh IV) does not, so then `stored` is unwrapped and compared with the
// constant. False for another MEK, and whenever that unwrap fails (a MEK that became
// unreachable in between is then reported as a mismatch, never accepted).
bool matches_key_check_value(MasterKeyProvider& provider, std::span<const std::uint8_t> stored,
                             std::span<const std::uint8_t> fresh);

// 22023 unless `id` is 1..64 characters of [A-Za-z0-9._-].
Status validate_key_id(std::string_view id);

}  // namespace dbvault::crypto
