// TekStore: the table encryption keys (TEKs) of one data directory, stored only wrapped by the
// MEK in keys/keys.db (format: docs/keys.md, "Wrapped-key records", format 3). Scope names
// (which say what a key protects: a tablespace's or a table's name) are stored only as lookup
// ids and sealed names under a names key the MEK wraps (crypto/scope_names.h); a keys.db of
// formats 1 and 2 (plain names) is migrated, in one transaction, when it opens.
//
// Each scope has one active version (used to encrypt) and, during a rotation, older
// decrypt-only versions (still readable until re-encryption finishes). Every record carries a
// binding tag (HMAC under a key derived from the TEK itself) over its scope, version, algorithm
// and creation time, so a record copied to another scope or version is detected on unwrap.
//
// Thread-safety: all methods may be called concurrently (one internal mutex; unwrap holds it
// while the provider works, which for an HSM is a round trip).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "common/sqlite_db.h"
#include "crypto/aead.h"
#include "crypto/key_scope.h"
#include "crypto/master_key_provider.h"

namespace dbvault::crypto {
namespace internal {
class ScopeNames;
}

enum class TekState { kActive, kDecryptOnly };

struct TekInfo {
  KeyScope scope = KeyScope::audit();
  std::uint32_t version = 0;
  AeadAlgorithm algorithm = AeadAlgorithm::kAes256Gcm;
  std::string mek_id;
  TimePoint created_at;
  TekState state = TekState::kActive;
};

struct UnwrappedTek {
  TekInfo info;
  SecretBytes key;  // 32 bytes
};

struct RotationProgress {
  std::uint64_t done = 0;   // units (e.g. pages) re-encrypted so far
  std::uint64_t total = 0;  // units to re-encrypt
};

// Re-encrypts one batch of data from `from` to `to` and returns the progress after it. Called
// repeatedly until done >= total; it must make progress on every call.
using ReencryptStep =
    std::function<Result<RotationProgress>(const UnwrappedTek& from, const UnwrappedTek& to)>;
using ProgressSink = std::function<void(const KeyScope&, const RotationProgress&)>;

// The master key a data directory's key store names as active: which key, with which provider.
struct ActiveMasterKey {
  std::string key_id;
  std::string provider;  // "env" | "file" | "pkcs11" | "kmip"
};

class TekStore {
 public:
  // The active master key recorded in keys_dir/keys.db, read without a provider: what start-up
  // opens (after a rotation it is the new key, so a crash just after the rotation's commit
  // starts with the new key, one just before with the old). nullopt when there is no keys.db
  // yet; 58030 when it cannot be read; XX001 unless exactly one master key is active. Not proof
  // of anything: open() still checks the key against its key-check value.
  static Result<std::optional<ActiveMasterKey>> active_master_key(
      const std::filesystem::path& keys_dir);

  // Opens keys_dir/keys.db (creating keys_dir 0700 and the database on first use) and checks
  // that `mek` is the data directory's current master key by its key-check value. Refuses
  // (58000) a MEK whose id is unknown, retired, or whose check value differs — never by trying
  // to decrypt data. A new store records `mek` as its master key.
  static Result<std::unique_ptr<TekStore>> open(const std::filesystem::path& keys_dir,
                                                std::shared_ptr<MasterKeyProvider> mek,
                                                const Clock& clock);

  // Version 1 of a new scope's TEK (random 256 bits). 42710 if the scope has a TEK.
  Result<TekInfo> create_tek(const KeyScope& scope,
                             AeadAlgorithm algorithm = AeadAlgorithm::kAes256Gcm);
  // The active version's record. 42704 if the scope has no TEK.
  Result<TekInfo> current(const KeyScope& scope);
  // All live versions, oldest first (empty if none).
  Result<std::vector<TekInfo>> versions(const KeyScope& scope);
  // Unwraps `version` (the active one if nullopt). 42704 if absent; 58000 if the MEK cannot
  // unwrap it; XX001 if the record's binding tag does not match (moved or altered record).
  // Only KeyGate and rotation call this: it bypasses authorization.
  Result<UnwrappedTek> unwrap(const KeyScope& scope, std::optional<std::uint32_t> version);

  // TEK rotation, online: begin creates version n+1 (new data is encrypted with it at once)
  // and makes older versions decrypt-only; finish runs `step` from each older version to the
  // new one, reporting progress, then destroys the older versions' wrapped keys. If a step
  // fails, the older versions stay readable and finish can be called again. The new version
  // has `algorithm`, or the active version's when nullopt (a change of cipher: ALTER TABLESPACE
  // ... ENABLE ENCRYPTION; the versions of one scope may then have different algorithms).
  Result<TekInfo> begin_tek_rotation(const KeyScope& scope,
                                     std::optional<AeadAlgorithm> algorithm = std::nullopt);
  Status finish_tek_rotation(const KeyScope& scope, const ReencryptStep& step,
                             const ProgressSink& progress);
  Result<TekInfo> rotate_tek(const KeyScope& scope, const ReencryptStep& step,
                             const ProgressSink& progress);

  // Destroys every version of the scope's TEK (DROP TABLESPACE): their wrapped keys and
  // invocation budgets are deleted in one transaction (SQLite's secure_delete overwrites the
  // bytes), so what they sealed can never be read again; a later create_tek starts afresh.
  // 42704 if the scope has no TEK; on error nothing was deleted. Callers that cache unwrapped
  // keys zeroize them too (KeyGate::destroy).
  Status destroy(const KeyScope& scope);

  // Re-wraps every TEK, and the names key, under `next` in one transaction (no data is touched; on
  // any error nothing changes), records next's key-check value and retires the current MEK id,
  // which can never be used with this directory again. 42710 if next's id was used before.
  Status rotate_mek(std::shared_ptr<MasterKeyProvider> next);
  // The current master key's provider kind ("env", "file", "pkcs11", "kmip").
  std::string mek_provider() const;

  // The invocation budget of a key version across restarts (docs/keys.md §6): how many
  // encryptions earlier runs reserved (0 if none), and reserving more, durably, before they are
  // used (never lowering the count). Dropped with the version's record.
  Result<std::uint64_t> reserved_invocations(const KeyScope& scope, std::uint32_t version);
  Status reserve_invocations(const KeyScope& scope, std::uint32_t version, std::uint64_t up_to);

  // The current MEK's health (58000 if unreachable).
  Status check_provider();
  std::string mek_id() const;
  // The current master key's provider, for wrapping a key that is not a TEK (a backup's data
  // key, docs/encryption.md §10). After rotate_mek() it is the new one.
  std::shared_ptr<MasterKeyProvider> master_key() const;

  // Only open() can make the passkey: use open().
  class Passkey {
    friend class TekStore;
    Passkey() = default;
  };
  TekStore(Passkey, sqlite::Database db, std::shared_ptr<MasterKeyProvider> mek,
           const Clock& clock);
  ~TekStore();

 private:
  Status init_schema();
  Status verify_master_key();
  Status migrate();  // formats 1 and 2 -> 3 (docs/keys.md §3); loads names_
  Result<TekInfo> insert_version(const KeyScope& scope, std::uint32_t version,
                                 AeadAlgorithm algorithm);
  Result<std::vector<TekInfo>> versions_locked(const KeyScope& scope);
  Result<UnwrappedTek> unwrap_locked(const KeyScope& scope, std::optional<std::uint32_t> version);
  Status reencrypt_from(const KeyScope& scope, std::uint32_t old_version, const ReencryptStep& step,
                        const ProgressSink& progress);

  mutable std::mutex mu_;
  sqlite::Database db_;
  std::shared_ptr<MasterKeyProvider> mek_;
  const Clock& clock_;
  std::unique_ptr<internal::ScopeNames> names_;  // set by migrate(), read-only afterwards
};

}  // namespace dbvault::crypto
