// The realm_access audit record (docs/audit.md §1) of one session: every execution of an
// engine statement that reads or writes an object of an enabled realm is recorded,
// group-committed (not synced), BEFORE it runs; if the record cannot be written the statement
// does not run (58000). Called once the vault allowed the execution (storage::ExecutionHook):
// a denied statement gets its denial recorded instead.
//
// Repeats are coalesced: an execution with the same shape as the session's previous one —
// same statement text with its literals removed, same realms, objects and commands, same
// policy version — within `audit.realm_access_coalesce_ms` (default 1000) of the record that
// opened the run is counted instead of written. The count goes out as one more realm_access
// record (`repeats` = n, `first_repeat_at`, `last_repeat_at`) when the run ends: at the
// session's next statement of another shape, when the window has passed (at the next
// statement, or by the idle wake-up of flush_due_in()), before the session reads
// vault.audit_log, and at logout. A counted execution still needs a healthy audit log (58000
// otherwise). With the setting 0, every execution gets its own record.
//
// Thread-safety: the session's thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "audit/event.h"
#include "common/result.h"
#include "server/session/context.h"
#include "storage/engine.h"
#include "vault/policy_snapshot.h"
#include "vault/session.h"

namespace dbvault::server::session {

class RealmAccessAudit {
 public:
  RealmAccessAudit(ServerContext& ctx, vault::Session& session);
  RealmAccessAudit(const RealmAccessAudit&) = delete;
  RealmAccessAudit& operator=(const RealmAccessAudit&) = delete;

  // Before an allowed execution of `statement`.
  Status before_execution(const storage::Statement& statement);
  // Writes the pending repeats record, if any.
  Status flush();
  // How long until the pending repeats record is due (nullopt: none is pending).
  std::optional<std::chrono::milliseconds> flush_due_in() const;

 private:
  struct Run {
    std::string shape;           // the coalescing key
    audit::Event repeats_event;  // the record to write for the repeats (repeats not yet set)
    std::uint64_t repeats = 0;
    std::string first_at, last_at;
    std::chrono::steady_clock::time_point ends;  // the window's end
  };

  // What the last execution's statement gave (its record without `query`, its shape), reused
  // while the same SQL with the same access set runs under the same policy version: a
  // prepared statement executed again costs two comparisons, not a rebuild.
  struct Shaped {
    std::string sql;
    std::uint64_t policy_version = 0;
    std::vector<vault::Access> accesses;
    std::optional<audit::Event> event;  // nullopt: no enabled realm is touched
    std::string query;                  // the SQL with its literals removed
    std::string shape;
  };
  const Shaped& shaped(const vault::PolicySnapshot& snap, const storage::Statement& statement);

  ServerContext& ctx_;
  vault::Session& session_;
  std::optional<Shaped> last_;
  std::optional<Run> run_;
};

}  // namespace dbvault::server::session
