// The module's per-backend state and the edge helpers the entry points share (module.cpp).
// Internal to pgext/; no PostgreSQL type appears here.
//
// Lifecycle: _PG_init (in the postmaster, through shared_preload_libraries) defines the
// settings and the hooks; each backend opens its BackendVault on first use (ensure_open) and
// keeps it, or keeps the error it failed with, for its whole life (fail closed: every later
// use refuses with that error).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "pgext/backend_vault.h"
#include "pgext/pg_edge.h"

namespace dbvault::pgext {

struct BackendState {
  std::unique_ptr<BackendVault> vault;
  bool open_tried = false;
  EdgeError open_error;                  // why open failed, when open_tried && !vault
  std::uint64_t seen_version = 0;        // the shared policy version this backend's snapshot has
  BackendVault::PolicyMove policy_move;  // of the last vault statement (BackendVault::execute)
  EdgeError error;                       // the error an entry point is about to raise
  // The rows of the last statement an SQL function ran (JSON text each), and its tag: read by
  // the edge while it builds the result set, wiped right after.
  std::string tag;
  std::vector<std::string> rows;
  void wipe_rows() noexcept;
};

BackendState& backend_state();

// The module's settings (module.cpp), paths resolved against the data directory.
struct ModuleSettings {
  std::filesystem::path data_dir, policy_path, keys_dir, audit_dir;
  std::string master_key_provider;  // "file" or "env"
  int audit_timeout_ms = 10000;
  std::filesystem::path test_clock_file;  // empty: the system clock (test_clock.h)
};
ModuleSettings module_settings();

// The audit queue in shared memory, and waking its worker (SetLatch, which never fails).
void* audit_queue_memory();
void wake_audit_worker() noexcept;
// The audit worker announces its latch (nullptr when it exits).
void set_audit_worker_latch(void* latch);

// Edge helpers: each calls PostgreSQL (hence no C++ object in its frame) and reports a
// failure in backend_state().error, returning false.
// The backend's vault, opened on first use with the session's attributes.
bool ensure_open();
// Opens the backend's vault at authentication (login_hook.cpp): the login and its CONNECT
// command rules run then. False with backend_state().error set when it did not open; every
// later ensure_open() then fails the same way.
struct SessionFacts;
bool open_at_login(const SessionFacts& facts);
// Reloads the policy snapshot when another backend changed the policy since the last look.
bool sync_policy();
// dbvault.decision_timing (decision_timing.h): whether this backend adds up its timings.
bool decision_timing_on();
// After a vault statement that moved the policy (BackendVault::PolicyMove): tells every
// backend to rebuild its snapshot before its next decision — this one too unless
// `own_current` (its snapshot already has the change).
void bump_policy_version(bool own_current);

}  // namespace dbvault::pgext
