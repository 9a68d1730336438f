// decide(): may this session run this statement on these objects?
//
// Order (ARCHITECTURE.md §1): 1. realms, 2. command rules, 3. RBAC. The vault checks come
// first, so a DBA with every grant is still stopped by a realm or a rule.
//   Realms: for each object, every realm protecting it (a column: its table's realms too)
//     - DISABLED: protects nothing; vault disabled (ALTER DATABASE DISABLE ...): none does;
//     - REGULAR: the object's owner passes;
//     - REQUIRE VAULT PASSWORD: the session passes with an unexpired, unrevoked unlock;
//       otherwise: a user or role authorized on the realm passes;
//     - an approved, unexpired emergency unlock of the session's user passes;
//     - else SIMULATION records a simulated denial and goes on; ENABLED denies: 55000 when an
//       emergency request of the user is pending on the realm, else 42501 naming the realm.
//   Command rules: rules::RuleIndex over the session's factors (skipped when the vault is
//     disabled); a denial is 42501 with the rule's MESSAGE.
//   RBAC: PolicySnapshot::rbac_allows (DBA bypasses it); a denial is 42501.
// The audit events to write come back with the decision: command_rule_violation for a rule
// or realm denial and for every simulated denial (detail "simulated": true).
//
// Cost: no allocation and no lock on the allow path without simulated denials, for access
// sets of up to 16 objects. Thread-safety: the snapshot is shared and immutable; the session
// is the caller's (one thread).
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "audit/event.h"
#include "common/clock.h"
#include "common/result.h"
#include "grammar/ast.h"
#include "rules/ids.h"
#include "vault/policy_snapshot.h"
#include "vault/session.h"

namespace dbvault::vault {

// One (command, object) a statement performs. `object` comes from
// PolicySnapshot::resolve_access_object (once per prepared statement); kNoId means the
// object is unknown to the vault, which RBAC refuses unless the session holds DBA.
struct Access {
  ast::Command command = ast::Command::kSelect;
  rules::ObjectId object = rules::kNoId;
};

struct Decision {
  enum class Verdict { kAllow, kDeny, kAllowWithSimulatedDenials };
  Verdict verdict = Verdict::kAllow;
  std::optional<Error> error;        // set when kDeny
  std::vector<audit::Event> events;  // to write (denials, simulated denials)

  bool allowed() const { return verdict != Verdict::kDeny; }
};

// Who performs step 3. kHost: the host database checks privileges itself (PostgreSQL's ACL
// check, for pgext/), so decide() stops after the command rules.
enum class Privileges { kVault, kHost };

Decision decide(const PolicySnapshot& snap, Session& session, std::span<const Access> accesses,
                TimePoint now, Privileges privileges = Privileges::kVault);

// One row of EXPLAIN VAULT.
struct ExplainRow {
  std::string object;   // "main.users.ssn", or "" at login
  std::string check;    // "realm pii", "rule no_export_ssn", "privilege"
  std::string verdict;  // "ALLOW", "DENY", "SIMULATED DENY"
  std::string why;
};
// Every check decide() would make, without stopping at the first denial: per access its
// realms, its privilege, then every command rule that applies. `names`, when given, names
// the accesses (names[i] for accesses[i]) where the vault does not know the object.
std::vector<ExplainRow> explain(const PolicySnapshot& snap, Session& session,
                                std::span<const Access> accesses, TimePoint now,
                                std::span<const std::string> names = {});

}  // namespace dbvault::vault
