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

std::string now_text(const Clock& clock) {
  return audit::format_time(std::chrono::time_point_cast<std::chrono::seconds>(clock.now()));
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
  const auto& accesses = statement.accesses().accesses;
  if (last_ && last_->policy_version == snap.version() && last_->sql == statement.sql() &&
      same_accesses(last_->accesses, accesses)) {
    return *last_;
  }
  Shaped s{statement.sql(), snap.version(), accesses, std::nullopt, {}, {}};
  s.event = realm_access_event(snap, session_, statement, s.shape);
  if (s.event) {
    s.query = audit::strip_literals(statement.sql());
    s.shape += '\n' + std::to_string(s.policy_version) + '\n' + s.query;
  }
  last_ = std::move(s);
  return *last_;
}

Status RealmAccessAudit::before_execution(const storage::Statement& statement) {
  const auto& config = ctx_.config();
  if (!config.realm_access_audit) return flush();
  const auto snap = ctx_.services.vault->snapshot();  // one load per execution
  if (!snap->vault_enabled()) return flush();
  const Shaped& s = shaped(*snap, statement);
  if (!s.event) return ok_status();
  const std::string& shape = s.shape;
  const auto now = std::chrono::steady_clock::now();
  if (run_ && run_->shape == shape && now < run_->ends) {
    // Counted, not written; but only while the log takes records at all (fail closed).
    DBV_RETURN_IF_ERROR(ctx_.services.audit->health());
    if (run_->repeats++ == 0) run_->first_at = now_text(*ctx_.services.clock);
    run_->last_at = now_text(*ctx_.services.clock);
    return ok_status();
  }
  DBV_RETURN_IF_ERROR(flush());
  audit::Event event = *s.event;
  event.detail["query"] = s.query;
  const auto window = config.realm_access_coalesce;
  if (window.count() > 0) {
    run_ = Run{shape, event, 0, {}, {}, now + window};
  }
  if (auto r = ctx_.services.audit->append(std::move(event)); !r) {
    run_.reset();
    return std::move(r).error();
  }
  return ok_status();
}

Status RealmAccessAudit::flush() {
  if (!run_) return ok_status();
  Run run = std::move(*run_);
  run_.reset();
  if (run.repeats == 0) return ok_status();
  audit::Event e = std::move(run.repeats_event);
  e.detail["repeats"] = static_cast<std::int64_t>(run.repeats);
  e.detail["first_repeat_at"] = run.first_at;
  e.detail["last_repeat_at"] = run.last_at;
  if (auto r = ctx_.services.audit->append(std::move(e)); !r) {
    spdlog::error(
        "session {}: the realm_access record of {} repeated executions was not written: {}",
        session_.info().session_id, run.repeats, r.error().message);
    return std::move(r).error();
  }
  return ok_status();
}

std::optional<std::chrono::milliseconds> RealmAccessAudit::flush_due_in() const {
  if (!run_ || run_->repeats == 0) return std::nullopt;
  const auto left = run_->ends - std::chrono::steady_clock::now();
  return std::max(std::chrono::milliseconds(0), std::chrono::ceil<std::chrono::milliseconds>(left));
}

}  // namespace dbvault::server::session
