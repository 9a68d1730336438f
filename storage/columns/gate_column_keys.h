// GateColumnKeys: one session's ColumnKeys over the server's key store and KeyGate. create()
// makes the scope's first TEK in the key store (nothing is released); release() is the gate's
// release for this session (authorized by the vault, audited as key_access).
// Thread-safety: as the gate and store it wraps.
#pragma once

#include "crypto/key_gate.h"
#include "crypto/tek_store.h"
#include "storage/columns/column_keys.h"

namespace dbvault::storage::columns {

class GateColumnKeys final : public ColumnKeys {
 public:
  // REQUIRES: `gate` and `store` (the gate's) outlive this object.
  GateColumnKeys(crypto::KeyGate& gate, crypto::TekStore& store, crypto::SessionRef session)
      : gate_(gate), store_(store), session_(std::move(session)) {}

  Status create(const crypto::KeyScope& scope) override {
    auto current = store_.current(scope);
    if (current) return ok_status();
    if (current.error().code != sqlstate::kUndefinedObject) return std::move(current).error();
    auto made = store_.create_tek(scope, crypto::AeadAlgorithm::kAes256Gcm);
    if (made || made.error().code == sqlstate::kDuplicateObject) return ok_status();  // a race
    return std::move(made).error();
  }
  Result<crypto::TekHandle> release(const crypto::KeyScope& scope) override {
    return gate_.release(session_, scope);
  }
  Status destroy(const crypto::KeyScope& scope) override {
    Status s = gate_.destroy(scope);
    if (!s && s.error().code == sqlstate::kUndefinedObject) return ok_status();
    return s;
  }

 private:
  crypto::KeyGate& gate_;
  crypto::TekStore& store_;
  const crypto::SessionRef session_;
};

}  // namespace dbvault::storage::columns
