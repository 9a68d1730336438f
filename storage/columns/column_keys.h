// ColumnKeys: where one session's connection gets the keys of encrypted columns (the server
// implements it over its crypto::KeyGate and crypto::TekStore, bound to the session's
// crypto::SessionRef: server/session/column_keys.h).
// Thread-safety: used by the connection's thread.
#pragma once

#include "common/result.h"
#include "crypto/key_gate.h"

namespace dbvault::storage::columns {

class ColumnKeys {
 public:
  virtual ~ColumnKeys() = default;
  // Makes sure the scope (columns:<schema.table>) has a TEK, creating version 1 (AES-256-GCM)
  // when it has none (CREATE TABLE ... ENCRYPTED). Releases nothing. 58000 on key store errors.
  virtual Status create(const crypto::KeyScope& scope) = 0;
  // KeyGate::release for this session: audited as key_access; 42501 if the vault does not
  // admit the session to the table's and the encrypted columns' realms; 42704 no key.
  virtual Result<crypto::TekHandle> release(const crypto::KeyScope& scope) = 0;
  // Destroys every version of the scope's TEK and zeroizes its cached copies (DROP TABLE of
  // the table): nothing it sealed opens again. OK when the scope has no TEK; 58000 on key
  // store errors.
  virtual Status destroy(const crypto::KeyScope& scope) = 0;
};

}  // namespace dbvault::storage::columns
