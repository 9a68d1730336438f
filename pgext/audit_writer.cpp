#include "pgext/audit_writer.h"

#include "audit/keys.h"

namespace dbvault::pgext {

Result<std::unique_ptr<AuditWriter>> AuditWriter::open(const AuditWriterOptions& o) {
  std::unique_ptr<AuditWriter> w(new AuditWriter());
  DBV_RETURN_IF_ERROR(make_private_dir(o.keys_dir));
  auto lock = StoreLock::take(o.keys_dir / "open.lock");
  if (!lock) return std::move(lock).error();
  auto keys = open_keys(o.keys_dir, o.master_key_provider, w->clock_);
  if (!keys) return std::move(keys).error();
  w->keys_ = std::move(*keys);
  auto audit_keys = audit::load_audit_keys(*w->keys_.store, true);
  if (!audit_keys) return std::move(audit_keys).error();
  audit::LogOptions lo;
  lo.dir = o.audit_dir;
  lo.clock = &w->clock_;
  lo.create_if_missing = !std::filesystem::exists(o.audit_dir);
  auto log = audit::Log::open(std::move(lo), std::move(*audit_keys));
  if (!log) return std::move(log).error();
  w->log_ = std::move(*log);
  return w;
}

Status AuditWriter::drain(AuditQueue& queue) {
  return queue.drain([&](std::string_view payload, bool durable) -> Status {
    auto event = decode_event(payload);
    if (!event) return std::move(event).error();
    auto seq = durable ? log_->append_sync(std::move(*event)) : log_->append(std::move(*event));
    if (!seq) return std::move(seq).error();
    return ok_status();
  });
}

}  // namespace dbvault::pgext
