// TablespaceAttachments: which tablespaces one engine connection has attached, and how
// (docs/encryption.md §9, "A session's connection").
//
// Every tablespace of the catalog is attached to every session's connection under its name,
// in one of two ways:
//   - real: its file, through a TdeVfs of this connection alone, keyed by the TEK that
//     KeyGate::release gave this session (TablespaceKeys::release, audited as key_access);
//   - stand-in: an in-memory database holding only the tablespace's table definitions (from
//     the catalog), no row. It lets SQLite compile a statement that names `ts.t`, so that the
//     vault checks the statement (and refuses it with 42501) before any key is asked for.
// A statement that touches a stand-in never runs (check_runnable: 42501), so a session never
// reads an empty stand-in as if it were the data.
//
// sync() brings the attachments in line with the catalog and the keys, outside a transaction
// only (SQLite refuses ATTACH and DETACH inside one): a real attachment whose key was locked
// or expired (LOCK REALM, an unlock's end, a policy change, logout, the gate's TTL) is
// detached — which closes its file and drops its pages from the connection's cache — and the
// session gets a stand-in until the gate releases the key again. A key is asked for only when
// TablespaceKeys::may_release says the gate would give it. Inside a transaction a locked key's
// schema stays attached until the transaction ends, but check_runnable refuses every statement
// that touches it.
//
// Thread-safety: none; used by its connection's thread.
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "crypto/key_gate.h"
#include "storage/authorizer.h"
#include "storage/tablespace_catalog.h"
#include "vault/session.h"

namespace dbvault::storage {

namespace vfs {
class TdeVfs;
class PageKey;
}  // namespace vfs

// The key layer as one session's connection sees it (the server implements it over its
// crypto::KeyGate and vault::KeyAuthorizer, bound to the session's crypto::SessionRef).
class TablespaceKeys {
 public:
  virtual ~TablespaceKeys() = default;
  // Would the gate release `scope` to this session now? Answers from memory; releases and
  // audits nothing.
  virtual bool may_release(const crypto::KeyScope& scope) const = 0;
  // KeyGate::release for this session: audited as key_access; 42501 if not authorized.
  virtual Result<crypto::TekHandle> release(const crypto::KeyScope& scope) = 0;
  // Every live version, oldest first (KeyGate::release_all): what a file needs while a key
  // rotation re-encrypts it. By default the active version alone.
  virtual Result<std::vector<crypto::TekHandle>> release_all(const crypto::KeyScope& scope);
};

// The page key of `scope` for a session: release_all as one key ring (vfs::PageKey::ring).
Result<std::shared_ptr<const vfs::PageKey>> release_ring(TablespaceKeys& keys,
                                                         const crypto::KeyScope& scope);

class TablespaceAttachments {
 public:
  TablespaceAttachments(const TablespaceCatalog& catalog, std::filesystem::path dir);
  ~TablespaceAttachments();
  TablespaceAttachments(const TablespaceAttachments&) = delete;
  TablespaceAttachments& operator=(const TablespaceAttachments&) = delete;

  // nullptr: no key is ever asked for (every tablespace is a stand-in).
  void set_keys(std::shared_ptr<TablespaceKeys> keys) { keys_ = std::move(keys); }

  // See above. A no-op inside a transaction. Errors: 58000 / XX001 when a released key does
  // not open the tablespace's file; 58030 on other SQLite errors.
  Status sync(sqlite3* db, Authorizer& auth);
  // Detaches every real tablespace whose key expired; with `all`, every real one. Outside a
  // transaction only. Returns how many were detached.
  int detach_locked(sqlite3* db, Authorizer& auth, bool all = false);

  // 42501 unless every schema among `names` ("ts.t.c") that is a tablespace is attached for
  // real under a key still valid.
  Status check_runnable(const std::vector<std::string>& names) const;
  bool attached_for_real(std::string_view tablespace) const;
  // The VFS, key and file `schema` is attached with for real (all empty otherwise), for the
  // tablespace's background checkpointer (storage/engine_checkpoints.h).
  struct RealAttachment {
    std::shared_ptr<vfs::TdeVfs> vfs;
    std::shared_ptr<const vfs::PageKey> key;
    std::filesystem::path file;
  };
  RealAttachment real_attachment(std::string_view schema) const;

 private:
  struct Attached {
    bool real = false;
    std::uint64_t epoch = 0;  // the catalog's when a stand-in was made
    std::shared_ptr<const vfs::PageKey> key;
    std::shared_ptr<vfs::TdeVfs> vfs;  // outlives the attachment
    std::filesystem::path file;
    // A stand-in for a file the session's key was released for but that could not be
    // attached (damaged, swapped, its WAL gone): the error statements on it get, not 42501.
    std::optional<Error> failure;
  };
  Status attach_real(sqlite3* db, Authorizer& auth, const TablespaceInfo& info);
  Status attach_standin(sqlite3* db, Authorizer& auth, const TablespaceInfo& info,
                        std::optional<Error> failure = std::nullopt);
  bool detach(sqlite3* db, Authorizer& auth, const std::string& name);

  const TablespaceCatalog& catalog_;
  const std::filesystem::path dir_;
  std::shared_ptr<TablespaceKeys> keys_;
  std::map<std::string, Attached, std::less<>> attached_;
  // Detached VFSs whose files SQLite may still hold until the connection closes.
  std::vector<std::shared_ptr<vfs::TdeVfs>> retired_;
};

}  // namespace dbvault::storage
