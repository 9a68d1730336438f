// EMERGENCY UNLOCK, APPROVE / REJECT EMERGENCY UNLOCK, REVIEW EMERGENCY UNLOCK: the two-person
// break-glass procedure (docs/vault.md §8).
//   request   anyone; AUTHORIZED BY names a VAULT_ADMIN other than the requester
//   decide    that VAULT_ADMIN only, once: the UPDATE is conditional on state 'pending', so of
//             two concurrent decisions exactly one wins and the other is 55000
//   review    an AUDIT_VIEWER or VAULT_ADMIN who is neither the requester nor the approver,
//             once, after the decision
// Requests keep the requester's and realm's names: dropping either keeps the history.
// Every step is an emergency_access event (CRITICAL, 10-year retention, written durably; the
// audit log forwards CRITICAL records to its alert sink).
#include <spdlog/spdlog.h>

#include <chrono>

#include "vault/vault_impl.h"

namespace dbvault::vault {

namespace {

// A request as stored. Ids are 0 once the user or realm they named was dropped.
struct Request {
  std::uint32_t id = 0;
  std::uint32_t realm = 0;
  std::uint32_t user = 0;
  std::uint32_t authorizer = 0;
  std::string user_name, realm_name, state, reason, decided_by;
  std::int64_t valid_for_s = 0;
  bool reviewed = false;
};

Result<Request> load_request(PolicyStore& store, std::string_view public_id) {
  Request r;
  if (Status outer_ = store.read([&](PolicyStore::Db& db) -> Status {
        auto q = db.prepare(
            "SELECT id, COALESCE(realm_id, 0), COALESCE(user_id, 0), COALESCE(authorizer_id, 0), "
            "requester, realm_name, state, reason, COALESCE(decided_by, ''), valid_for_s, "
            "reviewed_by IS NOT NULL FROM emergency_requests WHERE public_id = ?");
        if (!q) return std::move(q).error();
        q->bind_all(public_id);
        auto row = q->step();
        if (!row) return std::move(row).error();
        if (*row) {
          auto id = [&](int c) { return static_cast<std::uint32_t>(q->int64(c)); };
          r = {id(0),      id(1),      id(2),      id(3),       q->text(4),       q->text(5),
               q->text(6), q->text(7), q->text(8), q->int64(9), q->int64(10) != 0};
        }
        return ok_status();
      });
      !outer_.ok())
    return std::move(outer_).error();
  if (r.id == 0) {
    return make_error(sqlstate::kUndefinedObject,
                      "emergency unlock request " + std::string(public_id) + " does not exist");
  }
  return r;
}

// Runs `update` (an UPDATE of one request guarded by the state it expects) and fails with
// 55000 unless it changed exactly one row: of two concurrent decisions, the second finds the
// request no longer pending and changes nothing.
Status update_if_still(PolicyStore::Db& db, Status update, std::string_view request_id,
                       std::string_view expected) {
  DBV_RETURN_IF_ERROR(std::move(update));
  if (db.changes() == 1) return ok_status();
  return make_error(sqlstate::kObjectNotInPrerequisiteState,
                    "emergency unlock request " + std::string(request_id) + " is no longer " +
                        std::string(expected));
}

audit::Event emergency_event(const VaultImpl& v, const Session& s, std::string realm,
                             std::string_view stage, std::string_view request_id) {
  audit::Event e = v.event(audit::EventType::kEmergencyAccess, s, std::move(realm));
  e.severity = audit::Severity::kCritical;
  e.detail["stage"] = std::string(stage);
  e.detail["request_id"] = std::string(request_id);
  return e;
}

}  // namespace

Result<StatementResult> VaultImpl::run(Session& s, const ast::EmergencyUnlock& st) {
  auto sn = snap();
  auto r = realm(*sn, st.realm);
  if (!r) return std::move(r).error();
  auto approver = sn->find_user(st.authorized_by);
  if (!approver) {
    return make_error(sqlstate::kUndefinedObject, "user " + st.authorized_by + " does not exist");
  }
  if (*approver == s.user_id()) {
    return sod_refusal(*this, s, "EMERGENCY UNLOCK", "self_approval",
                       "EMERGENCY UNLOCK: the approver named by AUTHORIZED BY must be someone "
                       "other than the requester");
  }
  if (!sn->has_role(*approver, kRoleVaultAdmin)) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "EMERGENCY UNLOCK: " + st.authorized_by +
                          " is not a VAULT_ADMIN and could not approve the request");
  }
  if (st.valid_for.count() < 1 || st.valid_for > ast::EmergencyUnlock::kMaxValidity) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "emergency unlock is limited to 1 hour; requested " +
                          std::to_string(st.valid_for.count()) + " seconds");
  }
  auto id = random_id("em_");
  if (!id) return std::move(id).error();
  audit::Event e = emergency_event(*this, s, st.realm, "request", *id);
  e.detail["reason"] = st.reason;
  e.detail["approver"] = st.authorized_by;
  e.detail["duration_s"] = static_cast<std::int64_t>(st.valid_for.count());
  if (Status outer_ = change(
          [&](PolicyStore::Db& db) -> Status {
            // One pending request per requester and realm: a request is a CRITICAL record and
            // an alert, so repeating it must not be a way to flood the alert channel and hide
            // another alert (a lockout) in the noise.
            auto q = db.prepare(
                "SELECT public_id FROM emergency_requests WHERE user_id = ? AND realm_id = ? AND "
                "state = 'pending' LIMIT 1");
            if (!q) return std::move(q).error();
            q->bind_all(s.user_id(), r->first);
            auto row = q->step();
            if (!row) return std::move(row).error();
            if (*row) {
              return make_error(sqlstate::kObjectNotInPrerequisiteState,
                                "emergency unlock request " + q->text(0) + " of " + s.user_name() +
                                    " on realm " + r->second->name +
                                    " is still pending: its approver decides it first");
            }
            return db.run(
                "INSERT INTO emergency_requests (public_id, realm_id, realm_name, user_id, "
                "requester, authorizer, authorizer_id, reason, valid_for_s, requested_at, state) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
                *id, r->first, r->second->name, s.user_id(), s.user_name(), st.authorized_by,
                *approver, st.reason, static_cast<std::int64_t>(st.valid_for.count()), now_us());
          },
          e, /*durable=*/true);
      !outer_.ok())
    return std::move(outer_).error();
  spdlog::critical("emergency unlock {} requested by {} on realm {} for {} s (approver {})", *id,
                   s.user_name(), st.realm, st.valid_for.count(), st.authorized_by);
  StatementResult result{"EMERGENCY UNLOCK", {"request_id", "realm", "state"}, {}};
  result.rows.push_back({*id, st.realm, "pending"});
  return result;
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::DecideEmergencyUnlock& st) {
  const char* statement = st.approve ? "APPROVE EMERGENCY UNLOCK" : "REJECT EMERGENCY UNLOCK";
  DBV_RETURN_IF_ERROR(require_role(s, kRoleVaultAdmin, statement));
  auto req = load_request(*store, st.request_id);
  if (!req) return std::move(req).error();
  if (req->user == s.user_id()) {
    return sod_violation(s, "a VAULT_ADMIN other than the requester", statement).error();
  }
  if (req->authorizer != s.user_id()) {
    return sod_refusal(*this, s, statement, "not_the_named_approver",
                       std::string(statement) +
                           ": only the approver the request names in AUTHORIZED BY may decide "
                           "request " +
                           st.request_id);
  }
  if (req->state != "pending") {
    return make_error(sqlstate::kObjectNotInPrerequisiteState,
                      "emergency unlock request " + st.request_id + " is already " + req->state);
  }
  if (req->user == 0 || req->realm == 0) {
    return make_error(sqlstate::kObjectNotInPrerequisiteState,
                      "emergency unlock request " + st.request_id + ": its " +
                          (req->user == 0 ? "requester" : "realm") + " no longer exists");
  }
  const std::int64_t now = now_us();
  const std::int64_t expires = now + req->valid_for_s * 1'000'000;
  audit::Event e = emergency_event(*this, s, req->realm_name, st.approve ? "approval" : "rejection",
                                   st.request_id);
  e.detail["approver"] = s.user_name();
  e.detail["reason"] = req->reason;
  e.detail["duration_s"] = req->valid_for_s;
  if (st.approve) {
    e.expires_at = audit::Timestamp(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::microseconds(expires)));
  }
  if (Status outer_ = change(
          [&](PolicyStore::Db& db) {
            return update_if_still(
                db,
                db.run("UPDATE emergency_requests SET state = ?, decided_by = ?, decided_at = ?, "
                       "expires_at = ? WHERE id = ? AND state = 'pending'",
                       st.approve ? "approved" : "rejected", s.user_name(), now,
                       st.approve ? std::optional<std::int64_t>(expires) : std::nullopt, req->id),
                st.request_id, "pending");
          },
          e, /*durable=*/true);
      !outer_.ok())
    return std::move(outer_).error();
  spdlog::critical("emergency unlock {} of realm {} for {} {} by {}", st.request_id,
                   req->realm_name, req->user_name, st.approve ? "APPROVED" : "rejected",
                   s.user_name());
  return tag_only(statement);
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::ReviewEmergencyUnlock& st) {
  const char* statement = "REVIEW EMERGENCY UNLOCK";
  auto sn = snap();
  if (!sn->has_role(s.user_id(), kRoleAuditViewer) && !sn->has_role(s.user_id(), kRoleVaultAdmin)) {
    return sod_violation(s, "AUDIT_VIEWER or VAULT_ADMIN", statement).error();
  }
  auto req = load_request(*store, st.request_id);
  if (!req) return std::move(req).error();
  // By name as well as by id: an account re-created under a dropped requester's or approver's
  // name is refused too (fail closed).
  if (req->user == s.user_id() || req->user_name == s.user_name()) {
    return sod_violation(s, "a user other than the requester", statement).error();
  }
  if (req->decided_by == s.user_name()) {
    return sod_violation(s, "a user other than the approver", statement).error();
  }
  if (req->state == "pending") {
    return make_error(sqlstate::kObjectNotInPrerequisiteState,
                      "emergency unlock request " + st.request_id + " has not been decided");
  }
  if (req->reviewed) {
    return make_error(sqlstate::kObjectNotInPrerequisiteState,
                      "emergency unlock request " + st.request_id + " is already reviewed");
  }
  audit::Event e = emergency_event(*this, s, req->realm_name, "review", st.request_id);
  return apply_change(
      "REVIEW EMERGENCY UNLOCK",
      [&](PolicyStore::Db& db) {
        return update_if_still(
            db,
            db.run("UPDATE emergency_requests SET reviewed_by = ?, reviewed_at = ?, notes = ? "
                   "WHERE id = ? AND state != 'pending' AND reviewed_by IS NULL",
                   s.user_name(), now_us(), st.notes, req->id),
            st.request_id, "awaiting its review");
      },
      e, /*durable=*/true);
}

}  // namespace dbvault::vault
