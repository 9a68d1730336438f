// AuditWriter: the audit background worker's side of the audit (audit_worker.cpp is its
// PostgreSQL shell): the cluster's one audit::Log — hash-chained, encrypted, its keys derived
// from the audit TEK under the master key (docs/audit.md) — and the drain of the queue into it.
// The first start creates the store; a store directory that exists but holds no store was
// wiped, and opening it is refused (XX001), as audit::Log does.
// Thread-safety: one worker thread.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "audit/log.h"
#include "common/clock.h"
#include "pgext/audit_queue.h"
#include "pgext/key_store.h"

namespace dbvault::pgext {

struct AuditWriterOptions {
  std::filesystem::path audit_dir;  // the store (dbvault.audit_directory)
  std::filesystem::path keys_dir;   // as BackendOptions (and its open.lock)
  std::string master_key_provider;
};

class AuditWriter {
 public:
  // Opens (creating on the first start) the keys, the audit TEK and the log. 58000 / XX001.
  static Result<std::unique_ptr<AuditWriter>> open(const AuditWriterOptions& options);

  // Appends every ready queued event (append_sync for durable ones) and acknowledges them.
  // On an error the queue is marked failed (backends then get 58000) and it is returned.
  Status drain(AuditQueue& queue);

 private:
  AuditWriter() = default;
  SystemClock clock_;
  Keys keys_;
  std::unique_ptr<audit::Log> log_;
};

}  // namespace dbvault::pgext
