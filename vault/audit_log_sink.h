// AuditLogSink: the vault's AuditSink backed by the data directory's audit::Log — what a host
// (the server, a host database) passes as Options::audit. A `durable` record goes through
// Log::append_sync and returns only once it is on disk; any other through Log::append (queued
// for the next group commit). The vault asks for `durable` on every record that proves a
// policy change, an unlock, a token, or a violation (docs/vault.md, "Audit"), and writes it
// before the change commits, so a crash can lose the change but never its record.
//
// Thread-safety: as audit::Log (record may be called from any thread).
#pragma once

#include "audit/log.h"
#include "vault/audit_sink.h"

namespace dbvault::vault {

class AuditLogSink final : public AuditSink {
 public:
  // REQUIRES: `log` outlives this sink (and so the Vault that uses it).
  explicit AuditLogSink(audit::Log& log) : log_(log) {}

  // Ok once the record is queued (durable: on disk). Otherwise the Log's error (58000 when
  // the log cannot write, 22023 for an event it refuses): the vault then refuses the
  // operation the record was for.
  Status record(const audit::Event& event, bool durable) override;

 private:
  audit::Log& log_;
};

}  // namespace dbvault::vault
