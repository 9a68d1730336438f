// Services: everything one data directory runs on, opened in dependency order — the master
// key, the key store, the audit log, the vault — and closed in reverse. `dbvault init`
// creates them; `dbvault serve` and the tools open them. The engine is opened by the caller
// (storage/), on top of these.
//
// Fail closed: any piece that does not open (wrong MEK, unreadable key store, audit log that
// cannot be written, policy store that does not open) makes open_services() fail with its error
// (58000 / 58030), and nothing is served.
//
// Thread-safety: the members are thread-safe as their own headers say.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "audit/log.h"
#include "common/clock.h"
#include "common/secret_string.h"
#include "crypto/tek_store.h"
#include "server/runtime/config.h"
#include "server/runtime/data_dir.h"
#include "storage/access_set.h"
#include "vault/audit_log_sink.h"
#include "vault/vault.h"

namespace dbvault::server {

struct Services {
  DataDir dir;
  const Clock* clock = nullptr;
  std::unique_ptr<crypto::TekStore> keys;
  std::unique_ptr<audit::Log> audit;
  std::unique_ptr<vault::AuditLogSink> sink;
  // EXPLAIN VAULT's access sets (a read-only connection to the engine database; absent until
  // the engine database exists, i.e. during init).
  std::unique_ptr<storage::SqliteAccessResolver> resolver;
  std::unique_ptr<vault::Vault> vault;
  vault::PolicyStore* policy_store = nullptr;  // the vault's, with the audit anchor attached

  // Re-anchors the policy store at the audit log's end, detaches the anchor, closes the vault,
  // then flushes and closes the audit log.
  ~Services();
};

// The accounts `dbvault init` creates (docs/server.md, "Accounts").
struct InitialAccount {
  std::string name;
  SecretString password;
};

struct OpenMode {
  bool create = false;                   // init: make the key store, audit key, policy store
  std::vector<InitialAccount> accounts;  // init only: dba, secadmin, auditor
};

// REQUIRES: `clock` outlives the result; `dir.root` exists.
Result<std::unique_ptr<Services>> open_services(const DataDir& dir, const ServerConfig& config,
                                                const Clock& clock, OpenMode mode);

}  // namespace dbvault::server
