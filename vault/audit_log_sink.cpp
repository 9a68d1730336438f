#include "vault/audit_log_sink.h"

namespace dbvault::vault {

Status AuditLogSink::record(const audit::Event& event, bool durable) {
  auto seq = durable ? log_.append_sync(event) : log_.append(event);
  if (!seq) return std::move(seq).error();
  return ok_status();
}

}  // namespace dbvault::vault
