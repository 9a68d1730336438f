// KeyAccessLog: crypto::KeyGate's KeyAccessSink backed by the audit log (docs/audit.md §1,
// docs/keys.md §5). Every key release the gate reports becomes a `key_access` record written
// with Log::append_sync, so the gate hands out a key only after its record is durable; when the
// record cannot be written, record_key_access() returns the error and the gate refuses the
// release (58000). A record holds the key's id, scope, version and the MEK's id — never key
// material (KeyAccessEvent carries none).
//
// Thread-safety: as Log (record_key_access may be called from any thread).
#pragma once

#include "audit/event.h"
#include "audit/log.h"
#include "crypto/key_gate.h"

namespace dbvault::audit {

class KeyAccessLog final : public crypto::KeyAccessSink {
 public:
  // REQUIRES: `log` outlives this sink (and so the KeyGate that uses it).
  explicit KeyAccessLog(Log& log) : log_(log) {}

  // Ok once the key_access record is durable. Otherwise the Log's error (58000 when the log
  // cannot write, 22023 for an event it refuses): the key must not be released.
  Status record_key_access(const crypto::KeyAccessEvent& event) override;

 private:
  Log& log_;
};

// The key_access event of one release: user, session_id (the gate's numeric session id in
// decimal), result SUCCESS, detail {key_id, scope, version, mek_id, operation: "release"}.
Event key_access_event(const crypto::KeyAccessEvent& event);

}  // namespace dbvault::audit
