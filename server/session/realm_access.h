// The realm_access audit record (docs/audit.md §1) of one session: every execution of an
// engine statement that reads or writes an object of an enabled realm is recorded,
// group-committed (not synced), BEFORE it runs; if the record cannot be written the statement
// does not run (58000). Called once the vault allowed the execution (storage::ExecutionHook):
// a denied statement gets its denial recorded instead.
//
// Repeats are coalesced: an execution with the same shape as one of the session's open runs —
// same statement text with its literals removed, same realms, objects and commands, same
// policy version — within `audit.realm_access_coalesce_ms` (default 1000) of the record that
// opened the run is counted instead of written. A session keeps up to kMaxRuns runs open at
// once, so that a transaction of several statements (pgbench's five) coalesces too. A run's
// count goes out as one more realm_access record (`repeats` = n, `first_repeat_at`,
// `last_repeat_at`) when it ends: when its window has passed (at the session's next realm
// statement, or by the idle wake-up of flush_due_in()/flush_due()), when the policy changes,
// when it is the oldest of kMaxRuns and a new shape comes, before the session reads
// vault.audit_log, and at logout. A counted execution still needs a healthy audit log (58000
// otherwise). With the setting 0, every execution gets its own record.
//
// Thread-safety: the session's thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

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
  // Writes the repeats record of every open run (the first failure is returned; every run
  // ends either way).
  Status flush();
  // Writes those whose window has passed or whose policy version is no longer current.
  Status flush_due();
  // How long until the pending repeats record is due (nullopt: none is pending).
  std::optional<std::chrono::milliseconds> flush_due_in() const;

 private:
  static constexpr std::size_t kMaxRuns = 32;
  static constexpr std::size_t kMaxShapes = 16;

  struct Run {
    std::string shape;           // the coalescing key
    audit::Event repeats_event;  // the record to write for the repeats (repeats not yet set)
    std::uint64_t policy_version = 0;
    std::uint64_t repeats = 0;
    TimePoint first_at, last_at;  // of the first and last repeat
    std::chrono::steady_clock::time_point ends;  // the window's end
  };

  // What a recent execution's statement gave (its record without `query`, its shape), reused
  // while the same SQL — or the same SQL with other literals — with the same access set runs
  // under the same policy version: a statement executed again costs a few comparisons (and,
  // with other literals, stripping them), not a rebuild.
  struct Shaped {
    std::string sql;
    std::uint64_t policy_version = 0;
    std::vector<vault::Access> accesses;
    std::vector<std::string> names;     // the accesses' object names (the record's `objects`)
    std::optional<audit::Event> event;  // nullopt: no enabled realm is touched
    std::string query;                  // the SQL with its literals removed
    std::string shape;
  };
  const Shaped& shaped(const vault::PolicySnapshot& snap, const storage::Statement& statement);
  Status flush_ended(std::chrono::steady_clock::time_point now, std::uint64_t policy_version);
  Status write_repeats(Run run);

  ServerContext& ctx_;
  vault::Session& session_;
  std::deque<Shaped> shapes_;  // at most kMaxShapes, the most recent last
  const Shaped no_record_;     // what a statement that touches no realm object gives
  std::vector<Run> runs_;       // open runs, the oldest first
};

}  // namespace dbvault::server::session
