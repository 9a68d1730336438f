// Internal to crypto/ (TekStore): how keys.db stores a scope's name without revealing it
// (docs/keys.md §3, "Scope names", format 3). A scope name says what a key protects
// ("tablespace:payroll", "columns:main.staff"), so a stolen keys.db must not show it.
//
// The names key is 32 random bytes, stored only wrapped by the MEK (so an HSM master key works
// unchanged) in the `names_key` table, and re-wrapped with the TEKs by a master key rotation.
// Two subkeys of it (HKDF) serve two needs:
//   - lookup: a record's `scope` column holds "s:" || hex(HMAC-SHA256(lookup key, name)), so
//     a scope's rows are found by equality without the name;
//   - listing: its `scope_sealed` column holds AES-256-GCM(name key, name) with that id as AAD,
//     so the store can list what it holds; open() checks that the name HMACs to the id.
// A record's binding tag (tek_record.h) covers the name itself, so a sealed name moved to
// another record fails that record's binding check.
//
// Thread-safety: a value; its keys are read-only after load().
#pragma once

#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/sqlite_db.h"
#include "crypto/key_scope.h"
#include "crypto/master_key_provider.h"
#include "crypto/secret_bytes.h"

namespace dbvault::crypto::internal {

class ScopeNames {
 public:
  // Creates the names key (REQUIRES: the caller's transaction; 42710 if there is one) and
  // stores it wrapped by `mek`.
  static Result<ScopeNames> create(sqlite::Database& db, MasterKeyProvider& mek);
  // The store's names key, unwrapped by `mek`. 42704 if keys.db has none; 58000 if `mek` does
  // not unwrap it.
  static Result<ScopeNames> load(sqlite::Database& db, MasterKeyProvider& mek);
  // Re-wraps the names key under `next`, in the caller's transaction.
  Status rewrap(sqlite::Database& db, MasterKeyProvider& next) const;

  // The value of a record's `scope` column for `scope`: "s:" and 64 hex digits.
  std::string id_of(const KeyScope& scope) const;
  // The `scope_sealed` column of a record of `scope` (its id as AAD).
  Result<std::vector<std::uint8_t>> seal(const KeyScope& scope) const;
  // The scope whose id is `id` and whose sealed name is `sealed`. XX001 if the seal does not
  // open, or the name does not match the id (a name moved from another record).
  Result<KeyScope> open(const std::string& id, std::span<const std::uint8_t> sealed) const;

  // Whether `stored` is an id (format 3) rather than a plain name (formats 1 and 2).
  static bool is_id(std::string_view stored);

 private:
  ScopeNames(SecretBytes root, SecretBytes lookup, SecretBytes seal)
      : root_(std::move(root)), lookup_(std::move(lookup)), seal_(std::move(seal)) {}
  static Result<ScopeNames> from_root(SecretBytes root);

  SecretBytes root_;  // the names key (re-wrapped by a master key rotation)
  SecretBytes lookup_;
  SecretBytes seal_;
};

}  // namespace dbvault::crypto::internal
