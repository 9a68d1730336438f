#include "pgext/audit_worker.h"

#include <dlfcn.h>

#include <memory>

#include "pgext/audit_writer.h"
#include "pgext/module.h"

// PostgreSQL last: its headers define macros (snprintf, ...) that break the C++ library;
// and postgres.h first among them.
// clang-format off
extern "C" {
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "utils/wait_event.h"

PGDLLEXPORT void dbvault_audit_worker_main(Datum arg);
}
// clang-format on

namespace dbvault::pgext {
namespace {

volatile sig_atomic_t g_stop = 0;
EdgeError g_worker_error;

std::unique_ptr<AuditWriter>& writer() {
  static std::unique_ptr<AuditWriter> w;
  return w;
}

void on_sigterm(SIGNAL_ARGS) {
  const int saved = errno;
  g_stop = 1;
  SetLatch(MyLatch);
  errno = saved;
}

bool open_writer() {
  return run_guarded(g_worker_error, []() -> Status {
    const ModuleSettings ms = module_settings();
    auto w = AuditWriter::open({ms.audit_dir, ms.keys_dir, ms.master_key_provider});
    if (!w) return std::move(w).error();
    writer() = std::move(*w);
    return ok_status();
  });
}

bool drain() {
  return run_guarded(g_worker_error, []() -> Status {
    AuditQueue queue(audit_queue_memory());
    return writer()->drain(queue);
  });
}

void close_writer() {
  (void)run_guarded(g_worker_error, []() -> Status {
    writer().reset();  // flushes what is queued, syncs HEAD
    return ok_status();
  });
}

void on_exit(int, Datum) {
  set_audit_worker_latch(nullptr);
  AuditQueue queue(audit_queue_memory());
  if (!g_worker_error.set) queue.set_running(false);
}

[[noreturn]] void fail() {
  AuditQueue(audit_queue_memory()).set_failed();
  ereport(LOG, (errmsg("dbvault audit worker: %s (SQLSTATE %s); statements that need an audit "
                       "record are refused",
                       g_worker_error.message, g_worker_error.sqlstate)));
  proc_exit(1);
}

}  // namespace

void register_audit_worker() {
  BackgroundWorker bgw;
  memset(&bgw, 0, sizeof bgw);
  bgw.bgw_flags = BGWORKER_SHMEM_ACCESS;
  bgw.bgw_start_time = BgWorkerStart_PostmasterStart;
  bgw.bgw_restart_time = 5;
  // The worker loads this very file (shared_preload_libraries may name it by a full path).
  Dl_info info;
  const char* path = dladdr(reinterpret_cast<void*>(&register_audit_worker), &info) != 0
                         ? info.dli_fname
                         : "dbvault";
  strlcpy(bgw.bgw_library_name, path, sizeof bgw.bgw_library_name);
  strlcpy(bgw.bgw_function_name, "dbvault_audit_worker_main", sizeof bgw.bgw_function_name);
  strlcpy(bgw.bgw_name, "dbvault audit", sizeof bgw.bgw_name);
  strlcpy(bgw.bgw_type, "dbvault audit", sizeof bgw.bgw_type);
  RegisterBackgroundWorker(&bgw);
}

}  // namespace dbvault::pgext

using namespace dbvault::pgext;

extern "C" void dbvault_audit_worker_main(Datum) {
  pqsignal(SIGTERM, on_sigterm);
  BackgroundWorkerUnblockSignals();
  before_shmem_exit(on_exit, 0);
  if (!open_writer()) fail();
  set_audit_worker_latch(MyLatch);
  AuditQueue(audit_queue_memory()).set_running(true);
  ereport(LOG, (errmsg("dbvault audit worker started")));
  while (!g_stop) {
    ResetLatch(MyLatch);
    if (!drain()) fail();
    (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000,
                    PG_WAIT_EXTENSION);
  }
  if (!drain()) fail();
  close_writer();
  proc_exit(0);
}
