// JsonlAuditSink: the audit sink of the module until the audit background worker lands
// (issue 12, step 3): every event as one JSON line appended to one file shared by all
// backends, each line written with a single write(2) on an O_APPEND descriptor (so lines of
// concurrent backends never interleave) and fdatasync'ed before record() returns when the
// event is `durable`. It is NOT tamper-evident (no hash chain, no encryption): the worker
// will own an audit::Log instead. docs/postgresql.md, "Audit".
//
// Fail closed: an event audit::validate_event refuses is 22023; a failed write or sync is
// 58000, and the vault then refuses the operation the record was for.
// Thread-safety: record() may be called from any thread.
#pragma once

#include <filesystem>
#include <memory>

#include "common/clock.h"
#include "common/result.h"
#include "vault/audit_sink.h"

namespace dbvault::pgext {

class JsonlAuditSink final : public vault::AuditSink {
 public:
  // Opens (creating, mode 0600) `file`. 58000 if it cannot. REQUIRES: `clock` outlives it.
  static Result<std::unique_ptr<JsonlAuditSink>> open(const std::filesystem::path& file,
                                                      const Clock& clock);
  ~JsonlAuditSink() override;
  JsonlAuditSink(const JsonlAuditSink&) = delete;
  JsonlAuditSink& operator=(const JsonlAuditSink&) = delete;

  Status record(const audit::Event& event, bool durable) override;

 private:
  JsonlAuditSink(int fd, const Clock& clock) : fd_(fd), clock_(clock) {}
  int fd_;
  const Clock& clock_;
};

}  // namespace dbvault::pgext
