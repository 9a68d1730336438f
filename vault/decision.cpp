#include "vault/decision.h"

#include <array>

namespace dbvault::vault {

namespace {

enum class RealmCheck {
  kDisabled,
  kOwnerExempt,
  kUnlocked,
  kAuthorized,
  kEmergency,  // pass
  kLocked,
  kNotAuthorized,
  kPending,  // fail
};

bool passes(RealmCheck c) { return c <= RealmCheck::kEmergency; }

RealmCheck check_realm(const PolicySnapshot& snap, const Session& s, rules::RealmId id,
                       const RealmInfo& realm, const ObjectInfo& obj, std::int64_t now_us) {
  if (realm.state == ast::ObjectState::kDisabled) return RealmCheck::kDisabled;
  if (owner_exempt(realm, obj, s.user_id())) return RealmCheck::kOwnerExempt;
  if (s.unlocked(id, now_us, snap)) return RealmCheck::kUnlocked;
  if (!realm.require_password && snap.authorized(s.user_id(), realm, false)) {
    return RealmCheck::kAuthorized;
  }
  if (snap.emergency_active(s.user_id(), id, now_us)) return RealmCheck::kEmergency;
  if (snap.emergency_pending(s.user_id(), id)) return RealmCheck::kPending;
  return realm.require_password ? RealmCheck::kLocked : RealmCheck::kNotAuthorized;
}

std::string_view realm_check_text(RealmCheck c) {
  switch (c) {
    case RealmCheck::kDisabled:
      return "realm is DISABLED";
    case RealmCheck::kOwnerExempt:
      return "REGULAR realm: the session user owns the object";
    case RealmCheck::kUnlocked:
      return "realm unlocked by this session";
    case RealmCheck::kAuthorized:
      return "session user or role is authorized on the realm";
    case RealmCheck::kEmergency:
      return "approved emergency unlock";
    case RealmCheck::kLocked:
      return "realm requires a vault password and is locked";
    case RealmCheck::kNotAuthorized:
      return "session user is not authorized on the realm";
    case RealmCheck::kPending:
      return "emergency unlock awaiting approval";
  }
  return "";
}

Error realm_error(RealmCheck c, const RealmInfo& realm, const std::string& object) {
  if (c == RealmCheck::kPending) {
    return make_error(sqlstate::kObjectNotInPrerequisiteState,
                      "emergency unlock of realm " + realm.name + " is awaiting approval");
  }
  Error e = make_error(sqlstate::kInsufficientPrivilege,
                       c == RealmCheck::kLocked
                           ? "realm " + realm.name + " is locked: unlock it with a vault password"
                           : "not authorized for realm " + realm.name);
  e.detail = "object " + object + " is protected by realm " + realm.name;
  return e;
}

audit::Event violation(const Session& s, std::string realm, std::string rule, ast::Command command,
                       std::string object, bool simulated) {
  audit::Event e;
  e.type = audit::EventType::kCommandRuleViolation;
  e.user = s.user_name();
  e.realm = std::move(realm);
  e.ip_address = s.info().client_ip;
  e.session_id = s.info().session_id;
  e.result = simulated ? audit::Outcome::kSuccess : audit::Outcome::kDenied;
  e.detail["check"] = rule.empty() ? "realm" : "rule";
  if (!rule.empty()) e.detail["rule"] = std::move(rule);
  e.detail["command"] = std::string(rules::command_name(command));
  e.detail["object"] = std::move(object);
  e.detail["simulated"] = simulated;
  return e;
}

// Calls f(realm id) for each set bit until f returns false; returns false if stopped.
template <typename F>
bool for_each_realm(rules::BitsetView v, F&& f) {
  const auto words = v.words();
  for (std::size_t w = 0; w < words.size(); ++w) {
    for (std::uint64_t bits = words[w]; bits != 0; bits &= bits - 1) {
      const auto id = static_cast<rules::RealmId>(w * 64 + __builtin_ctzll(bits));
      if (!f(id)) return false;
    }
  }
  return true;
}

Decision deny(Error e, std::vector<audit::Event> events) {
  Decision d;
  d.verdict = Decision::Verdict::kDeny;
  d.error = std::move(e);
  d.events = std::move(events);
  return d;
}

}  // namespace

Decision decide(const PolicySnapshot& snap, Session& session, std::span<const Access> accesses,
                TimePoint now, Privileges privileges) {
  const std::int64_t now_us = now.time_since_epoch().count();
  const bool vault_on = snap.vault_enabled();
  std::vector<audit::Event> events;  // allocates only when something is recorded

  constexpr std::size_t kInline = 16;
  std::array<rules::ObjectAccess, kInline> inline_accesses;
  std::vector<rules::ObjectAccess> heap_accesses;
  std::span<rules::ObjectAccess> rule_accesses(inline_accesses.data(), 0);
  if (accesses.size() > kInline) {
    heap_accesses.resize(accesses.size());
    rule_accesses = heap_accesses;
  } else {
    rule_accesses = std::span(inline_accesses.data(), accesses.size());
  }

  // The accesses' objects are scattered over the snapshot: start every cache miss at once.
  for (const Access& a : accesses) snap.prefetch_object(a.object);

  // 1. Realms.
  const rules::BitsetView admitted =
      vault_on ? session.admitted_realms(now_us, snap) : rules::BitsetView();
  const std::uint64_t* passed_realms = nullptr;  // a realm set already found all admitted
  for (std::size_t i = 0; i < accesses.size(); ++i) {
    const Access& a = accesses[i];
    rule_accesses[i] = rules::ObjectAccess{a.command, a.object, rules::kNoId, {}};
    const ObjectInfo* obj = snap.object(a.object);
    if (obj == nullptr) continue;
    rule_accesses[i].table = obj->table_id;
    rule_accesses[i].realms = snap.realms_of(*obj);
    // GRANT / REVOKE of privileges on a realm object counts too: who may touch a protected
    // table is the realm's business, so only a session the realm admits changes it (Oracle
    // Database Vault's realms protect object grants the same way).
    if (!vault_on || !obj->in_realm) continue;
    // The common case: every realm of the object is one the session passes anyway. Equal
    // realm sets share their words (a table and its columns), so one test serves them all.
    const auto realm_words = rule_accesses[i].realms.words();
    if (realm_words.data() == passed_realms) continue;
    const auto admitted_words = admitted.words();
    bool all_admitted = true;
    for (std::size_t w = 0; w < realm_words.size() && all_admitted; ++w) {
      const std::uint64_t ok = w < admitted_words.size() ? admitted_words[w] : 0;
      all_admitted = (realm_words[w] & ~ok) == 0;
    }
    if (all_admitted) {
      passed_realms = realm_words.data();
      continue;
    }
    std::optional<Error> failure;
    for_each_realm(rule_accesses[i].realms, [&](rules::RealmId id) {
      const RealmInfo* realm = snap.realm(id);
      if (realm == nullptr) {
        // The object names a realm the snapshot does not hold: an inconsistent policy.
        // Fail closed rather than treat an unknown realm as no realm.
        failure = make_error(sqlstate::kInternalError, "policy snapshot is inconsistent (object " +
                                                           snap.object_name(a.object) +
                                                           " names an unknown realm); refused");
        return false;
      }
      const RealmCheck c = check_realm(snap, session, id, *realm, *obj, now_us);
      if (passes(c)) return true;
      const bool simulated = realm->state == ast::ObjectState::kSimulation;
      events.push_back(
          violation(session, realm->name, "", a.command, snap.object_name(a.object), simulated));
      if (simulated) return true;
      failure = realm_error(c, *realm, snap.object_name(a.object));
      return false;
    });
    if (failure) return deny(std::move(*failure), std::move(events));
  }

  // 2. Command rules.
  if (vault_on && snap.rules().size() > 0) {
    const rules::Factors f = session.factors(now, snap);
    rules::RuleDecision rd =
        snap.rules().evaluate(rule_accesses, f, session.rule_memo(), session.factors_generation());
    for (const auto& hit : rd.simulated) {
      events.push_back(
          violation(session, "", hit.rule->name, hit.command, snap.object_name(hit.object), true));
    }
    if (rd.denial) {
      events.push_back(violation(session, "", rd.denial->rule->name, rd.denial->command,
                                 snap.object_name(rd.denial->object), false));
      return deny(rd.error(), std::move(events));
    }
  }

  // 3. RBAC. A column is granted through its table: one check serves a table and its columns.
  const bool dba = privileges == Privileges::kHost || snap.has_role(session.user_id(), kRoleDba);
  rules::ObjectId granted_table = rules::kNoId;
  ast::Command granted_command = ast::Command::kSelect;
  for (const Access& a : accesses) {
    if (dba) break;
    const ObjectInfo* obj = snap.object(a.object);
    const rules::ObjectId table =
        obj == nullptr || obj->table_id == rules::kNoId ? a.object : obj->table_id;
    if (obj != nullptr && table == granted_table && a.command == granted_command) continue;
    if (obj == nullptr || !snap.rbac_allows(session.user_id(), a.command, *obj, a.object)) {
      return deny(make_error(sqlstate::kInsufficientPrivilege,
                             "permission denied: " + std::string(rules::command_name(a.command)) +
                                 " on " + (obj ? snap.object_name(a.object) : "unknown object")),
                  std::move(events));
    }
    granted_table = table;
    granted_command = a.command;
  }

  Decision d;
  if (!events.empty()) d.verdict = Decision::Verdict::kAllowWithSimulatedDenials;
  d.events = std::move(events);
  return d;
}

std::vector<ExplainRow> explain(const PolicySnapshot& snap, Session& session,
                                std::span<const Access> accesses, TimePoint now,
                                std::span<const std::string> names) {
  const std::int64_t now_us = now.time_since_epoch().count();
  std::vector<ExplainRow> rows;
  std::vector<rules::ObjectAccess> rule_accesses;
  const bool dba = snap.has_role(session.user_id(), kRoleDba);
  for (std::size_t i = 0; i < accesses.size(); ++i) {
    const Access& a = accesses[i];
    const ObjectInfo* obj = snap.object(a.object);
    const std::string name =
        obj == nullptr && i < names.size() ? names[i] : snap.object_name(a.object);
    rules::ObjectAccess ra{a.command, a.object, rules::kNoId, {}};
    if (obj != nullptr) {
      ra.table = obj->table_id;
      ra.realms = snap.realms_of(*obj);
      ra.realms.for_each([&](rules::RealmId id) {
        const RealmInfo* realm = snap.realm(id);
        if (realm == nullptr) return;
        const RealmCheck c = check_realm(snap, session, id, *realm, *obj, now_us);
        std::string verdict = "ALLOW";
        if (!snap.vault_enabled()) {
          rows.push_back({name, "realm " + realm->name, verdict, "database vault is disabled"});
          return;
        }
        if (!passes(c)) {
          verdict = realm->state == ast::ObjectState::kSimulation ? "SIMULATED DENY" : "DENY";
        }
        rows.push_back({name, "realm " + realm->name, verdict, std::string(realm_check_text(c))});
      });
    }
    rule_accesses.push_back(ra);
    const bool ok =
        dba || (obj != nullptr && snap.rbac_allows(session.user_id(), a.command, *obj, a.object));
    const char* why = dba              ? "session holds DBA"
                      : ok             ? "granted or owner"
                      : obj == nullptr ? "the object is not registered with the vault"
                                       : "no grant";
    rows.push_back({name, "privilege " + std::string(rules::command_name(a.command)),
                    ok ? "ALLOW" : "DENY", why});
  }
  if (snap.vault_enabled()) {
    const rules::Factors f = session.factors(now, snap);
    for (auto& r : snap.rules().explain(rule_accesses, f)) {
      rows.push_back({r.object == rules::kNoId ? "" : snap.object_name(r.object),
                      "rule " + r.rule_name, std::string(rules::explain_verdict_name(r.verdict)),
                      r.why});
    }
  }
  return rows;
}

}  // namespace dbvault::vault
