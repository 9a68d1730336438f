// TdeVfs: an SQLite VFS that encrypts a database at rest (transparent data encryption), layered
// over the default VFS. Format and threat model: docs/encryption.md.
//
// One TdeVfs serves one key: it registers itself under a name of its own ("dbvault-tde-<n>")
// and every database opened through that name (sqlite3_open_v2's zVfs, or `vfs=` in an ATTACH
// URI) is read and written under its PageKey:
//   - every page of the main database file, of its rollback journal and of its WAL is sealed
//     with AES-256-GCM or ChaCha20-Poly1305, a fresh nonce and the tag in the page's reserved
//     bytes, bound to the file's random id and the page's position;
//   - a WAL frame's checksum (which SQLite computes over the plaintext) is masked;
//   - temporary files, statement journals and transient databases are refused: they must stay
//     in memory (PRAGMA temp_store = MEMORY, which open_encrypted sets);
//   - memory-mapped I/O is never used (it would bypass decryption).
// A page that fails authentication is reported to SQLite as SQLITE_IOERR_DATA (never as data);
// last_failure() says which page of which file.
//
// Use open_encrypted() (encrypted_db.h) rather than sqlite3_open_v2 directly: it sets the
// reserved bytes a new database needs and checks the key.
//
// Thread-safety: SQLite may call the VFS from any thread; the registry and the failure record
// are synchronized. Each open file is used by one connection, which SQLite serializes.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/result.h"
#include "storage/vfs/page_format.h"
#include "storage/vfs/page_key.h"
#include "storage/vfs/page_versions.h"

namespace dbvault::storage::vfs {

// What the main file, its journal and its WAL share: the file id, the page size and the page
// version table (every connection of this process to the file reads and writes the same one).
struct FileIdentity {
  FileId id{};
  std::atomic<std::uint32_t> page_size{0};     // 0 until page 1 was read or written
  std::atomic<bool> wal_state_present{false};  // its WAL state record is known to exist
  std::mutex versions_mu;
  std::optional<PageVersions> versions;  // guarded by versions_mu; loaded when the file opens
};

// Gives a TdeVfs a fresh key when the one it holds expired (a gate's handle is zeroized when
// its cache entry ends, 15 minutes by default): e.g. KeyGate::release again, of every live
// version of the scope (PageKey::ring) while a rotation is under way. The key must seal under
// no lower version than the one it replaces (a rotation may have begun or ended meanwhile), and
// under the same algorithm if it seals under the same version (a higher version may have
// another algorithm: a change of cipher, docs/encryption.md §12.5); another one is refused
// (58000). An error is returned to the open
// that needed the key (58000).
using KeySource = std::function<Result<std::shared_ptr<const PageKey>>()>;

class TdeVfs {
 public:
  // Registers a new VFS over the default one. 58000 if SQLite refuses.
  static Result<std::unique_ptr<TdeVfs>> create(std::shared_ptr<const PageKey> key);
  // The same, with the key `source` gives now and again each time that key has expired.
  // Files already open keep the cipher they were opened with.
  static Result<std::unique_ptr<TdeVfs>> create(KeySource source);
  // Unregisters. REQUIRES: every connection opened through it is closed.
  ~TdeVfs();
  TdeVfs(const TdeVfs&) = delete;
  TdeVfs& operator=(const TdeVfs&) = delete;

  // The TdeVfs that database "main" of `db` was opened through; nullptr for another VFS (or a
  // null `db`). For error mapping outside storage/vfs (storage::engine_error).
  static const TdeVfs* of(sqlite3* db);

  const std::string& name() const { return name_; }
  // The algorithm of the version new pages are sealed under (PageKey::algorithm).
  crypto::AeadAlgorithm algorithm() const;
  // True if the current key holds a version of `algorithm` (PageKey::holds): a file whose
  // header names another algorithm cannot be opened with it.
  bool holds(crypto::AeadAlgorithm algorithm) const;
  // The version new pages are sealed under.
  std::uint32_t key_version() const;
  // A cipher for one file under the current key (renewed through the KeySource if it expired).
  // 58000 if there is no usable key.
  Result<PageCipher> cipher();

  // Key rotation (docs/encryption.md §12). install_key replaces the key of every file opened
  // through this VFS, open ones included: each takes a cipher of the new key before its next
  // read, write, sync or lock change (SQLite serializes the calls on one file, so no call runs
  // half under one key). Same rule as a renewed key (KeySource); on error nothing changed.
  Status install_key(std::shared_ptr<const PageKey> key);
  // install_key of the KeySource's key now, expired or not (22023 without a source).
  Status renew_key();
  // Counts the installed keys: a file whose cipher is older takes a new one.
  std::uint64_t key_generation() const { return generation_.load(std::memory_order_acquire); }
  // From now on every file of this VFS asks its cipher before each page, WAL frame or journal
  // record whether the key is still live (PageCipher::live), and fails (58000) once it was
  // withdrawn: for a connection that must stop at once when a realm is locked, such as a
  // tablespace's background checkpointer. Without it a file opened under a key keeps it until
  // it is closed or a new key is installed (a session's statement runs to its end; the session
  // detaches the tablespace before its next one).
  void check_key_every_page() { every_page_.store(true, std::memory_order_release); }
  bool checks_key_every_page() const { return every_page_.load(std::memory_order_acquire); }
  // The most recent failure (an unauthenticated page, a refused file), for error messages;
  // empty if none. Names a file and a page, never data.
  std::string last_failure() const;
  // What that failure was: page 1 of a main file not authenticating (most likely a wrong key),
  // or damage (a page, frame, record or WAL that does not authenticate or match).
  bool last_failure_was_key() const;
  bool last_failure_was_integrity() const;

  // Internal to storage/vfs (the file methods in tde_file.cpp).
  sqlite3_vfs* root() const { return root_; }
  enum class FailureKind { kOther, kIntegrity, kKey };
  void record_failure(std::string what, FailureKind kind = FailureKind::kOther) const;
  // The identity of database `path`: the live one if another connection has it open, else one
  // with `id` (or a new random id when `id` is null, for a file still empty).
  Result<std::shared_ptr<FileIdentity>> identity_for(const std::string& path, const FileId* id);
  // The identity of an open database (for its journal or WAL); nullptr if it is not open.
  std::shared_ptr<FileIdentity> open_identity(const std::string& path);

 private:
  TdeVfs(std::shared_ptr<const PageKey> key, KeySource source, sqlite3_vfs* root, std::string name);
  static Result<std::unique_ptr<TdeVfs>> make(std::shared_ptr<const PageKey> key, KeySource source);

  Status install_locked(std::shared_ptr<const PageKey> key);

  mutable std::mutex key_mu_;
  std::shared_ptr<const PageKey> key_;  // guarded by key_mu_
  std::atomic<std::uint64_t> generation_{1};
  std::atomic<bool> every_page_{false};
  const KeySource source_;
  sqlite3_vfs* root_;
  std::string name_;
  sqlite3_vfs vfs_{};
  std::mutex mu_;
  std::map<std::string, std::weak_ptr<FileIdentity>> identities_;
  mutable std::mutex failure_mu_;
  mutable std::string failure_;
  mutable FailureKind failure_kind_ = FailureKind::kOther;
};

}  // namespace dbvault::storage::vfs
