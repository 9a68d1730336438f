#include "server/session/realm_access.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "audit/query_normalizer.h"
#include "grammar/ast.h"
#include "rules/command_rule.h"

namespace dbvault::server::session {
namespace {

std::string join(const std::set<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

// The record of one execution, or nullopt when it touches no object of an enabled realm;
// `shape` gets its realms, objects and commands (for the coalescing key).
std::optional<audit::Event> realm_access_event(const vault::PolicySnapshot& snap,
                                               const vault::Session& session,
                                               const storage::Statement& statement,
                                               std::string& shape) {
  const auto& accesses = statement.accesses();
  std::set<std::string> realms, commands;
  std::string first_realm, objects;
  for (std::size_t i = 0; i < accesses.accesses.size(); ++i) {
    const auto* obj = snap.object(accesses.accesses[i].object);
    if (obj == nullptr || !obj->in_realm) continue;
    snap.realms_of(*obj).for_each([&](std::uint32_t r) {
      const auto* info = snap.realm(r);
      if (info == nullptr || info->state == ast::ObjectState::kDisabled) return;
      if (realms.insert(info->name).second && first_realm.empty()) first_realm = info->name;
    });
    if (i < accesses.names.size() && objects.size() < 1024) {
      objects += (objects.empty() ? "" : ",") + accesses.names[i];
    }
    commands.insert(std::string(rules::command_name(accesses.accesses[i].command)));
  }
  if (realms.empty()) return std::nullopt;
  shape = join(realms) + '\n' + objects + '\n' + join(commands);
  audit::Event e;
  e.type = audit::EventType::kRealmAccess;
  e.user = session.user_name();
  e.realm = first_realm;
  e.ip_address = session.info().client_ip;
  e.session_id = session.info().session_id;
  e.detail["realms"] = join(realms);
  e.detail["objects"] = objects;
  e.detail["commands"] = join(commands);
  e.detail["program_name"] = session.info().program_name;
  return e;
}

std::string time_text(TimePoint at) {
  return audit::format_time(std::chrono::time_point_cast<std::chrono::seconds>(at));
}

}  // namespace

RealmAccessAudit::RealmAccessAudit(ServerContext& ctx, vault::Session& session)
    : ctx_(ctx), session_(session) {}

namespace {
bool same_accesses(const std::vector<vault::Access>& a, const std::vector<vault::Access>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.command == y.command && x.object == y.object;
  });
}
}  // namespace

const RealmAccessAudit::Shaped& RealmAccessAudit::shaped(const vault::PolicySnapshot& snap,
                                                         const storage::Statement& statement) {
  const auto& accesses = statement.accesses();
  auto same = [&](const Shaped& s) {
    return s.policy_version == snap.version() && same_accesses(s.accesses, accesses.accesses) &&
           s.names == accesses.names;
  };
  for (const auto& s : shapes_) {  // the same text again (a prepared statement, a loop)
    if (s.sql == statement.sql() && same(s)) return s;
  }
  // Most statements touch no realm: no record, nothing to remember.
  const bool in_realm =
      std::any_of(accesses.accesses.begin(), accesses.accesses.end(), [&](const vault::Access& a) {
        const auto* obj = snap.object(a.object);
        return obj != nullptr && obj->in_realm;
      });
  if (!in_realm) return no_record_;
  // The same statement with other literals (simple-query clients send their values inline).
  std::string query = audit::strip_literals(statement.sql());
  for (auto& s : shapes_) {
    if (s.query == query && same(s)) return s;
  }
  Shaped s{statement.sql(), snap.version(), accesses.accesses, accesses.names, std::nullopt, {},
           {}};
  s.event = realm_access_event(snap, session_, statement, s.shape);
  s.query = std::move(query);
  if (s.event) s.shape += '\n' + std::to_string(s.policy_version) + '\n' + s.query;
  if (shapes_.size() >= kMaxShapes) shapes_.pop_front();
  shapes_.push_back(std::move(s));
  return shapes_.back();
}

Status RealmAccessAudit::before_execution(const storage::Statement& statement) {
  const auto& config = ctx_.config();
  if (!config.realm_access_audit) return flush();
  const auto snap = ctx_.services.vault->snapshot();  // one load per execution
  if (!snap->vault_enabled()) return flush();
  const Shaped& s = shaped(*snap, statement);
  if (!s.event) return ok_status();
  const auto now = std::chrono::steady_clock::now();
  DBV_RETURN_IF_ERROR(flush_ended(now, snap->version()));
  const auto run =
      std::find_if(runs_.begin(), runs_.end(), [&](const Run& r) { return r.shape == s.shape; });
  if (run != runs_.end()) {
    // Counted, not written; but only while the log takes records at all (fail closed).
    DBV_RETURN_IF_ERROR(ctx_.services.audit->health());
    const TimePoint at = ctx_.services.clock->now();  // formatted when the record is written
    if (run->repeats++ == 0) run->first_at = at;
    run->last_at = at;
    return ok_status();
  }
  if (runs_.size() >= kMaxRuns) {  // the oldest run ends to make room
    Run oldest = std::move(runs_.front());
    runs_.erase(runs_.begin());
    DBV_RETURN_IF_ERROR(write_repeats(std::move(oldest)));
  }
  audit::Event event = *s.event;
  event.detail["query"] = s.query;
  const auto window = config.realm_access_coalesce;
  Run opened{s.shape, event, snap->version(), 0, {}, {}, now + window};
  DBV_RETURN_IF_ERROR(ctx_.services.audit->append(std::move(event)));
  if (window.count() > 0) runs_.push_back(std::move(opened));
  return ok_status();
}

Status RealmAccessAudit::flush_ended(std::chrono::steady_clock::time_point now,
                                     std::uint64_t policy_version) {
  Status first = ok_status();
  for (auto it = runs_.begin(); it != runs_.end();) {
    if (now < it->ends && it->policy_version == policy_version) {
      ++it;
      continue;
    }
    Run ended = std::move(*it);
    it = runs_.erase(it);
    if (auto r = write_repeats(std::move(ended)); !r && first) first = std::move(r);
  }
  return first;
}

Status RealmAccessAudit::flush() {
  Status first = ok_status();
  std::vector<Run> runs = std::move(runs_);
  runs_.clear();
  for (auto& run : runs) {
    if (auto r = write_repeats(std::move(run)); !r && first) first = std::move(r);
  }
  return first;
}

Status RealmAccessAudit::flush_due() {
  const auto snap = ctx_.services.vault->snapshot();
  return flush_ended(std::chrono::steady_clock::now(), snap->version());
}

Status RealmAccessAudit::write_repeats(Run run) {
  if (run.repeats == 0) return ok_status();
  audit::Event e = std::move(run.repeats_event);
  e.detail["repeats"] = static_cast<std::int64_t>(run.repeats);
  e.detail["first_repeat_at"] = time_text(run.first_at);
  e.detail["last_repeat_at"] = time_text(run.last_at);
  if (auto r = ctx_.services.audit->append(std::move(e)); !r) {
    spdlog::error(
        "session {}: the realm_access record of {} repeated executions was not written: {}",
        session_.info().session_id, run.repeats, r.error().message);
    return std::move(r).error();
  }
  return ok_status();
}

std::optional<std::chrono::milliseconds> RealmAccessAudit::flush_due_in() const {
  std::optional<std::chrono::steady_clock::time_point> soonest;
  for (const auto& run : runs_) {
    if (run.repeats > 0 && (!soonest || run.ends < *soonest)) soonest = run.ends;
  }
  if (!soonest) return std::nullopt;
  const auto left = *soonest - std::chrono::steady_clock::now();
  return std::max(std::chrono::milliseconds(0), std::chrono::ceil<std::chrono::milliseconds>(left));
}

}  // namespace dbvault::server::session
