// The key layer for tablespaces, over crypto::KeyGate (docs/encryption.md §9).
//
// TablespaceKeyAuthorizer decorates the vault's authorizer (vault::KeyAuthorizer): a
// tablespace that holds no table protects no data, so its key is released to any session
// (to create the first table); the server itself (`server`, when given) gets every
// tablespace's key, to create and drop the files; every other answer is the vault's. Registering
// the first table is a policy change, which withdraws every released key of every tablespace
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

namespace dbvault::storage {

class TablespaceKeyAuthorizer final : public crypto::KeyAuthorizer {
 public:
  // REQUIRES: both outlive this object.
  TablespaceKeyAuthorizer(const crypto::KeyAuthorizer& vault, const TablespaceCatalog& catalog,
                          std::optional<crypto::SessionRef> server = std::nullopt)
      : vault_(vault), catalog_(catalog), server_(std::move(server)) {}
  crypto::KeyAuthorization authorize(const crypto::SessionRef& session,
                                     const crypto::KeyScope& scope) const override;

 private:
  const crypto::KeyAuthorizer& vault_;
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
