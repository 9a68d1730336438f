// The key layer for tablespaces, over crypto::KeyGate (docs/encryption.md §9).
//
// TablespaceKeyAuthorizer decorates the vault's authorizer (vault::KeyAuthorizer): a
// tablespace that holds no table and is no realm's own protects no data, so its key is released
// to any session; the key of a realm's own tablespace (CREATE REALM ... TABLESPACE) is the
// vault's answer from the start (admission to that realm), so a session outside the realm never
// holds it; the server itself (`server`, when given) gets every tablespace's key, to create and
// drop the files and to write the definition of a table created by a session that does not hold
// the key (Engine::set_server_keys); a tablespace the catalog does not have gets no key; every
// other answer is the vault's. A table enters the catalog before its registration, a policy
// change that withdraws every released key of every tablespace
// (vault::KeyAuthorizer::policy_changed), so from then on only the vault's answer counts.
//
// GateTablespaceKeys is one session's TablespaceKeys: may_release asks the gate's authorizer
// (nothing released, nothing audited), release asks the gate (audited as key_access).
//
// Thread-safety: as the authorizer and gate they wrap.
#pragma once

#include <optional>

#include "crypto/key_gate.h"
#include "storage/tablespace_attach.h"
#include "storage/tablespace_catalog.h"
#include "vault/vault.h"

namespace dbvault::storage {

class TablespaceKeyAuthorizer final : public crypto::KeyAuthorizer {
 public:
  // REQUIRES: `vault`, `policy` and `catalog` outlive this object.
  TablespaceKeyAuthorizer(const crypto::KeyAuthorizer& vault, const vault::Vault& policy,
                          const TablespaceCatalog& catalog,
                          std::optional<crypto::SessionRef> server = std::nullopt)
      : vault_(vault), policy_(policy), catalog_(catalog), server_(std::move(server)) {}
  crypto::KeyAuthorization authorize(const crypto::SessionRef& session,
                                     const crypto::KeyScope& scope) const override;

 private:
  const crypto::KeyAuthorizer& vault_;
  const vault::Vault& policy_;
  const TablespaceCatalog& catalog_;
  const std::optional<crypto::SessionRef> server_;
};

class GateTablespaceKeys final : public TablespaceKeys {
 public:
  // REQUIRES: `gate` and `authorizer` (the gate's) outlive this object.
  GateTablespaceKeys(crypto::KeyGate& gate, const crypto::KeyAuthorizer& authorizer,
                     crypto::SessionRef session)
      : gate_(gate), authorizer_(authorizer), session_(std::move(session)) {}
  bool may_release(const crypto::KeyScope& scope) const override {
    return authorizer_.authorize(session_, scope).granted;
  }
  Result<crypto::TekHandle> release(const crypto::KeyScope& scope) override {
    return gate_.release(session_, scope);
  }
  Result<std::vector<crypto::TekHandle>> release_all(const crypto::KeyScope& scope) override {
    return gate_.release_all(session_, scope);
  }

 private:
  crypto::KeyGate& gate_;
  const crypto::KeyAuthorizer& authorizer_;
  const crypto::SessionRef session_;
};

}  // namespace dbvault::storage
