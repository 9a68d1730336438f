#include "audit/keys.h"

#include "crypto/kdf.h"

namespace dbvault::audit {

Result<AuditKeys> AuditKeys::derive(const crypto::SecretBytes& audit_tek, std::uint32_t version) {
  if (audit_tek.size() != 32) {
    return make_error(sqlstate::kInvalidParameterValue, "the audit TEK must be 32 bytes");
  }
  auto mac = crypto::derive_subkey(audit_tek, "dbvault audit mac v1");
  if (!mac) return std::move(mac).error();
  auto enc = crypto::derive_subkey(audit_tek, "dbvault audit enc v1");
  if (!enc) return std::move(enc).error();
  auto anchor = crypto::derive_subkey(audit_tek, "dbvault audit anchor v1");
  if (!anchor) return std::move(anchor).error();
  auto digest = crypto::derive_subkey(audit_tek, "dbvault audit digest v1");
  if (!digest) return std::move(digest).error();
  return AuditKeys{std::move(*mac), std::move(*enc), std::move(*anchor), std::move(*digest),
                   version};
}

AuditKeys AuditKeys::clone() const {
  return AuditKeys{mac_key.clone(), enc_key.clone(), anchor_key.clone(), digest_key.clone(),
                   tek_version};
}

Result<AuditKeys> load_audit_keys(crypto::TekStore& store, bool create_if_missing) {
  const auto scope = crypto::KeyScope::audit();
  auto current = store.current(scope);
  if (!current) {
    if (current.error().code != sqlstate::kUndefinedObject || !create_if_missing) {
      return std::move(current).error();
    }
    auto created = store.create_tek(scope);
    if (!created) return std::move(created).error();
  }
  auto tek = store.unwrap(scope, std::nullopt);
  if (!tek) return std::move(tek).error();
  return AuditKeys::derive(tek->key, tek->info.version);
}

}  // namespace dbvault::audit
