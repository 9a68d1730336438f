#include "audit/key_access_log.h"

#include <string>

namespace dbvault::audit {

Event key_access_event(const crypto::KeyAccessEvent& event) {
  Event e;
  e.type = EventType::kKeyAccess;
  e.user = event.user;
  e.session_id = std::to_string(event.session_id);
  e.result = Outcome::kSuccess;
  e.detail = {{"key_id", event.key_id},
              {"scope", event.scope.to_string()},
              {"version", event.version},
              {"mek_id", event.mek_id},
              {"operation", "release"}};
  return e;
}

Status KeyAccessLog::record_key_access(const crypto::KeyAccessEvent& event) {
  auto seq = log_.append_sync(key_access_event(event));
  if (!seq) return std::move(seq).error();
  return ok_status();
}

}  // namespace dbvault::audit
