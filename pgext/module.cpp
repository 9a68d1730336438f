// _PG_init: settings, shared memory (the policy version counter) and hooks; the per-backend
// vault (ensure_open) and the policy version (sync_policy, bump_policy_version).
#include "pgext/module.h"

#include <algorithm>

#include "crypto/secret_bytes.h"
#include "pgext/access_memo.h"
#include "pgext/audit_queue.h"
#include "pgext/audit_worker.h"
#include "pgext/body_owners.h"
#include "pgext/data_owners.h"
#include "pgext/decision_timing.h"
#include "pgext/executor_hook.h"
#include "pgext/foreign_calls.h"
#include "pgext/function_hook.h"
#include "pgext/log_hook.h"
#include "pgext/login_hook.h"
#include "pgext/planner_stats.h"
#include "pgext/utility_hook.h"

// PostgreSQL last: its headers define macros (snprintf, ...) that break the C++ library;
// and postgres.h first among them.
// clang-format off
extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;
void _PG_init(void);
}
// clang-format on

namespace dbvault::pgext {
namespace {

// Settings (docs/postgresql.md, "Settings"). Relative paths are inside the data directory.
char* g_policy_path = nullptr;
char* g_keys_path = nullptr;
char* g_audit_dir = nullptr;
char* g_test_clock_file = nullptr;
int g_audit_timeout_ms = 10000;
int g_master_key_provider = 0;
bool g_decision_timing = false;
const struct config_enum_entry kProviders[] = {
    {"file", 0, false}, {"env", 1, false}, {nullptr, 0, false}};

struct SharedState {
  pg_atomic_uint64 policy_version;  // moves after every vault statement that succeeded
  Latch* audit_worker_latch;        // the audit worker's (in its PGPROC), or nullptr
};
// The audit queue follows SharedState in the same allocation.
constexpr Size kQueueOffset = MAXALIGN(sizeof(SharedState));
Size shared_size() { return kQueueOffset + MAXALIGN(AuditQueue::shared_size()); }
SharedState* g_shared = nullptr;
shmem_request_hook_type g_prev_shmem_request = nullptr;
shmem_startup_hook_type g_prev_shmem_startup = nullptr;

void shmem_request() {
  if (g_prev_shmem_request) g_prev_shmem_request();
  RequestAddinShmemSpace(shared_size());
}

void shmem_startup() {
  if (g_prev_shmem_startup) g_prev_shmem_startup();
  LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
  bool found = false;
  g_shared = static_cast<SharedState*>(ShmemInitStruct("dbvault", shared_size(), &found));
  if (!found) {
    pg_atomic_init_u64(&g_shared->policy_version, 1);
    g_shared->audit_worker_latch = nullptr;
    AuditQueue::format(reinterpret_cast<char*>(g_shared) + kQueueOffset);
  }
  LWLockRelease(AddinShmemInitLock);
}

void define_settings() {
  DefineCustomStringVariable("dbvault.policy_path", "The vault's policy store (SQLite).",
                             "Relative to the data directory.", &g_policy_path, "dbvault/policy.db",
                             PGC_POSTMASTER, GUC_SUPERUSER_ONLY, nullptr, nullptr, nullptr);
  DefineCustomStringVariable("dbvault.keys_path", "The vault's key store directory.",
                             "Relative to the data directory.", &g_keys_path, "dbvault/keys",
                             PGC_POSTMASTER, GUC_SUPERUSER_ONLY, nullptr, nullptr, nullptr);
  DefineCustomStringVariable("dbvault.audit_directory", "The vault's audit store.",
                             "Relative to the data directory.", &g_audit_dir, "dbvault/audit",
                             PGC_POSTMASTER, GUC_SUPERUSER_ONLY, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("dbvault.audit_timeout", "How long a backend waits for the audit worker.",
                          "Past it, the statement that needed the record fails with 58000.",
                          &g_audit_timeout_ms, 10000, 10, 600000, PGC_SIGHUP,
                          GUC_UNIT_MS | GUC_SUPERUSER_ONLY, nullptr, nullptr, nullptr);
  DefineCustomEnumVariable("dbvault.master_key_provider", "Where the master key comes from.",
                           "file: keys_path/master.key (development); env: "
                           "DBVAULT_MASTER_KEY_HEX and DBVAULT_MASTER_KEY_ID.",
                           &g_master_key_provider, 0, kProviders, PGC_POSTMASTER,
                           GUC_SUPERUSER_ONLY, nullptr, nullptr, nullptr);
  DefineCustomStringVariable("dbvault.test_clock_file", "Tests only: a file with a clock offset.",
                             "Honoured only with DBVAULT_ALLOW_TEST_CLOCK=1 in the server's "
                             "environment; without it the vault does not open.",
                             &g_test_clock_file, "", PGC_POSTMASTER, GUC_SUPERUSER_ONLY, nullptr,
                             nullptr, nullptr);
  DefineCustomBoolVariable(
      "dbvault.decision_timing", "Benchmarks only: time the module's work per statement.",
      "Each backend logs its totals when it exits (docs/postgresql.md, "
      "Performance).",
      &g_decision_timing, false, PGC_POSTMASTER, GUC_SUPERUSER_ONLY, nullptr, nullptr, nullptr);
  MarkGUCPrefixReserved("dbvault");
}

std::filesystem::path in_data_dir(const char* path) {
  std::filesystem::path p(path);
  return p.is_absolute() ? p : std::filesystem::path(DataDir) / p;
}

// The exit line of dbvault.decision_timing, formatted where no PostgreSQL call can longjmp.
char g_timing_line[512];

void log_decision_timing(int, Datum) {
  g_timing_line[0] = '\0';
  EdgeError ignored;
  (void)run_guarded(ignored, []() -> Status {
    const std::string line = format_timing(decision_timing(), application_name);
    line.copy(g_timing_line, sizeof g_timing_line - 1);
    g_timing_line[std::min(line.size(), sizeof g_timing_line - 1)] = '\0';
    return ok_status();
  });
  if (g_timing_line[0] != '\0') elog(LOG, "%s", g_timing_line);
}

void start_decision_timing() {
  if (!g_decision_timing) return;
  decision_timing().clock_ns = measure_clock_ns();
  before_shmem_exit(log_decision_timing, 0);
}

bool open_vault(const SessionFacts& f, BackendState& st) {
  // Read before opening: a change committed meanwhile moves the counter past this value.
  st.seen_version = pg_atomic_read_u64(&g_shared->policy_version);
  return run_guarded(st.open_error, [&]() -> Status {
    const ModuleSettings ms = module_settings();
    BackendOptions o;
    o.policy_path = ms.policy_path;
    o.keys_dir = ms.keys_dir;
    o.audit_dir = ms.audit_dir;
    o.master_key_provider = ms.master_key_provider;
    o.test_clock_file = ms.test_clock_file;
    o.audit = std::make_unique<QueueAuditSink>(AuditQueue(audit_queue_memory()), wake_audit_worker,
                                               std::chrono::milliseconds(ms.audit_timeout_ms));
    o.user = f.user;
    o.info = vault::SessionInfo{f.session_id, f.program, f.client_ip, f.auth_method, f.tls};
    auto bv = BackendVault::open(std::move(o));
    if (!bv) return std::move(bv).error();
    st.vault = std::move(*bv);
    return ok_status();
  });
}

}  // namespace

ModuleSettings module_settings() {
  ModuleSettings m;
  m.data_dir = std::filesystem::path(DataDir);
  m.policy_path = in_data_dir(g_policy_path);
  m.keys_dir = in_data_dir(g_keys_path);
  m.audit_dir = in_data_dir(g_audit_dir);
  m.master_key_provider = g_master_key_provider == 1 ? "env" : "file";
  m.audit_timeout_ms = g_audit_timeout_ms;
  if (g_test_clock_file != nullptr && *g_test_clock_file != '\0') {
    m.test_clock_file = in_data_dir(g_test_clock_file);
  }
  return m;
}

void* audit_queue_memory() { return reinterpret_cast<char*>(g_shared) + kQueueOffset; }

void wake_audit_worker() noexcept {
  Latch* latch = g_shared->audit_worker_latch;
  if (latch != nullptr) SetLatch(latch);
}

void set_audit_worker_latch(void* latch) {
  g_shared->audit_worker_latch = static_cast<Latch*>(latch);
}

void BackendState::wipe_rows() noexcept {
  for (auto& r : rows) wipe_string(r);
  rows.clear();
  tag.clear();
}

BackendState& backend_state() {
  static BackendState state;
  return state;
}

bool ensure_open() {
  BackendState& st = backend_state();
  if (st.vault) return true;
  if (!st.open_tried) {
    st.open_tried = true;
    SessionFacts facts;
    gather_facts(MyProcPort, facts);
    if (open_vault(facts, st)) {
      start_decision_timing();
      return true;
    }
  }
  st.error = st.open_error;
  return false;
}

bool open_at_login(const SessionFacts& facts) {
  BackendState& st = backend_state();
  st.open_tried = true;
  if (open_vault(facts, st)) {
    start_decision_timing();
    return true;
  }
  st.error = st.open_error;
  return false;
}

bool decision_timing_on() { return g_decision_timing; }

bool sync_policy() {
  BackendState& st = backend_state();
  const std::uint64_t start = g_decision_timing ? monotonic_ns() : 0;
  const std::uint64_t now = pg_atomic_read_u64(&g_shared->policy_version);
  if (now == st.seen_version) {
    if (g_decision_timing) decision_timing().version_checks.add(monotonic_ns() - start);
    return true;
  }
  if (!run_guarded(st.error, [&]() -> Status { return st.vault->reload(); })) return false;
  st.seen_version = now;
  if (g_decision_timing) decision_timing().reloads.add(monotonic_ns() - start);
  return true;
}

void bump_policy_version(bool own_current) {
  BackendState& st = backend_state();
  const std::uint64_t before = pg_atomic_fetch_add_u64(&g_shared->policy_version, 1);
  // This backend's snapshot already has its own change; it only reloads for another's.
  if (own_current && before == st.seen_version) st.seen_version = before + 1;
}

}  // namespace dbvault::pgext

extern "C" void _PG_init(void) {
  using namespace dbvault::pgext;
  if (!process_shared_preload_libraries_in_progress) {
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("dbvault must be loaded through shared_preload_libraries"),
                    errhint("Add dbvault to shared_preload_libraries and restart the server.")));
  }
  define_settings();
  g_prev_shmem_request = shmem_request_hook;
  shmem_request_hook = shmem_request;
  g_prev_shmem_startup = shmem_startup_hook;
  shmem_startup_hook = shmem_startup;
  install_login_hook();
  install_data_owners_cache();
  install_access_memo();
  install_body_owner_hooks();
  install_executor_hook();
  install_log_hook();
  install_utility_hook();
  install_function_hook();
  install_planner_stats_hooks();
  install_foreign_calls();
  register_audit_worker();
}
