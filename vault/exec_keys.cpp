// ALTER DATABASE ROTATE MASTER KEY [TO KEY_ID 'id'] (docs/keys.md, "Master key rotation").
//
// The vault decides who may (VAULT_ADMIN: the master key protects every realm's data, so its
// custody sits with the security side of the duties, not with the DBA) and audits; the host
// (Options::rotate_master_key) re-wraps the key store. Two durable policy_changed records:
// the request before anything changes (no record, no rotation: 58000), and the outcome after
// — so a rotation is never done unrecorded, and a failed one is on the record too.
#include "vault/vault_impl.h"

namespace dbvault::vault {
namespace {

constexpr const char* kStatement = "ALTER DATABASE ROTATE MASTER KEY";

}  // namespace

Result<StatementResult> VaultImpl::run(Session& s, const ast::RotateMasterKey& st) {
  DBV_RETURN_IF_ERROR(require_role(s, kRoleVaultAdmin, kStatement));
  if (!opts.rotate_master_key) {
    return make_error(sqlstate::kFeatureNotSupported,
                      std::string(kStatement) + " is not available in this host (no key store)");
  }
  audit::Event request = policy_event(*this, s, kStatement, "master key");
  request.detail["phase"] = "requested";
  request.detail["target_key_id"] = st.new_key_id ? nlohmann::json(*st.new_key_id) : nullptr;
  DBV_RETURN_IF_ERROR(audit(request, /*durable=*/true));

  auto rotated = opts.rotate_master_key(st.new_key_id);
  audit::Event outcome = policy_event(*this, s, kStatement, "master key");
  outcome.detail["phase"] = "completed";
  if (rotated) {
    outcome.detail["old_key_id"] = rotated->old_key_id;
    outcome.detail["new_key_id"] = rotated->new_key_id;
    outcome.detail["provider"] = rotated->provider;
  } else {
    outcome.result = audit::Outcome::kFailure;
    outcome.detail["phase"] = "failed";
    outcome.detail["error"] = rotated.error().message;
  }
  const Status recorded = audit(outcome, /*durable=*/true);
  if (!rotated) return std::move(rotated).error();
  if (!recorded) {
    return make_error(
        sqlstate::kSystemError,
        "the master key was rotated to \"" + rotated->new_key_id +
            "\", but its completion could not be audited: " + recorded.error().message);
  }
  return StatementResult{"ALTER DATABASE", {}, {}};
}

}  // namespace dbvault::vault
