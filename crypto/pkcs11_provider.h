// The `pkcs11` master-key provider: the MEK is an AES-256 key generated inside an HSM token,
// marked non-extractable and sensitive, so it never exists outside the token. TEKs are wrapped
// and unwrapped inside the token with C_WrapKey/C_UnwrapKey and CKM_AES_KEY_WRAP_PAD (RFC 5649,
// the same bytes as the software providers produce); the unwrapped TEK comes back to the host
// as a short-lived session object that is read once and destroyed.
//
// Configuration: the module path (e.g. /usr/lib/softhsm/libsofthsm2.so), the token label (or a
// slot id), the MEK's object label (which is also its key id), and the name of the environment
// variable that holds the user PIN (default DBVAULT_PKCS11_PIN; the PIN is never a config value).
//
// Fails closed with 58000: module not loadable, token missing, PIN variable unset, wrong or
// locked PIN, MEK object missing (unless create_key_if_missing), a MEK that is extractable or
// not sensitive, and at run time a removed token or a lost session.
//
// Thread-safety: all methods may be called concurrently (one session, guarded by a mutex).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "crypto/master_key_provider.h"

namespace dbvault::crypto {

struct Pkcs11Options {
  std::string module_path;
  std::string token_label;                // selects the token by its label ...
  std::optional<unsigned long> slot_id;   // ... or by slot (then the label, if set, must match)
  std::string key_label = "dbvault-mek";  // CKA_LABEL of the MEK; also its key id
  std::string pin_variable = "DBVAULT_PKCS11_PIN";
  bool create_key_if_missing = false;  // `dbvault init` / MEK rotation: generate in-token
};

Result<std::unique_ptr<MasterKeyProvider>> open_pkcs11_provider(const Pkcs11Options& options);

}  // namespace dbvault::crypto
