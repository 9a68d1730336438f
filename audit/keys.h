// The audit store's keys, derived from the audit TEK (scope `audit`, wrapped by the MEK in
// keys/keys.db) — never from MEK bytes, which may sit non-extractable in an HSM.
//   mac_key = HKDF(TEK, "dbvault audit mac v1")  hash chain and HEAD
//   enc_key = HKDF(TEK, "dbvault audit enc v1")  root of the per-segment AES-256-GCM keys
//   anchor_key = HKDF(TEK, "dbvault audit anchor v1")  the audit anchor kept in the policy store
//   digest_key = HKDF(TEK, "dbvault audit digest v1")  digests meant to be stored elsewhere
// Each purpose has its own label, so a MAC made for one can never pass for another.
// Thread-safety: a value type (move-only, like the SecretBytes it holds).
#pragma once

#include <cstdint>

#include "common/result.h"
#include "crypto/secret_bytes.h"
#include "crypto/tek_store.h"

namespace dbvault::audit {

struct AuditKeys {
  crypto::SecretBytes mac_key;
  crypto::SecretBytes enc_key;
  crypto::SecretBytes anchor_key;
  crypto::SecretBytes digest_key;
  std::uint32_t tek_version = 0;

  // REQUIRES: audit_tek.size() == 32 (else 22023).
  static Result<AuditKeys> derive(const crypto::SecretBytes& audit_tek, std::uint32_t version);
  AuditKeys clone() const;
};

// Unwraps the active audit TEK and derives the keys. With `create_if_missing`, a data directory
// without an audit TEK gets one (version 1); otherwise that is 42704. 58000 if the MEK cannot
// unwrap it.
Result<AuditKeys> load_audit_keys(crypto::TekStore& store, bool create_if_missing);

}  // namespace dbvault::audit
