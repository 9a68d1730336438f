// CommandRule: one CREATE COMMAND RULE, compiled — names resolved to the vault's dense ids,
// the condition compiled — and the verdict it gives a session.
//
// Verdicts (FAIL CLOSED: every case that is neither a clear TRUE nor a clear FALSE denies):
//   DENY FROM p, ... [WHEN c]  the session is none of the principals      -> allow
//                              one matches, no WHEN                      -> deny
//                              one matches, c TRUE / UNKNOWN / error     -> deny
//                              one matches, c FALSE                      -> allow
//   DENY WHEN c                c FALSE -> allow; TRUE, UNKNOWN, error    -> deny
//   ALLOW ONLY WHEN c          c TRUE  -> allow; FALSE, UNKNOWN, error   -> deny
// A user principal matches current_user_id or session_user_id; a role principal matches any
// role in Factors::roles. The rule's state (ENABLED/DISABLED/SIMULATION) does not change the
// verdict; RuleIndex decides what a verdict does.
//
// Thread-safety: immutable after compile; check() may run on any number of threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "grammar/ast.h"
#include "rules/compiled_predicate.h"
#include "rules/factors.h"
#include "rules/ids.h"

namespace dbvault::rules {

// A set of ast::Command, one bit each. FOR ALL sets every bit.
using CommandMask = std::uint32_t;
CommandMask command_mask(ast::Command c);
std::string_view command_name(ast::Command c);  // "SELECT", ..., "ALL"

// Why a rule gave its verdict.
enum class RuleReason : std::uint8_t {
  kNoPrincipalMatched,  // DENY FROM: the session is none of the principals (allow)
  kPrincipalMatched,    // DENY FROM without WHEN (deny)
  kConditionTrue,
  kConditionFalse,
  kConditionUnknown,  // deny, whatever the action
  kEvaluationError,   // deny, whatever the action
};

struct RuleCheck {
  bool denies = false;
  RuleReason reason = RuleReason::kConditionFalse;
};

struct CommandRule {
  struct Principal {
    ast::PrincipalKind kind;
    std::uint32_t id;  // UserId or RoleId
    std::string name;
  };

  // What check() reads comes first, so that it shares a cache line or two.
  ast::CreateCommandRule::Action action = ast::CreateCommandRule::Action::kDenyWhen;
  ast::ObjectState state = ast::ObjectState::kEnabled;
  std::vector<Principal> principals;           // DENY FROM
  std::optional<CompiledPredicate> condition;  // DENY WHEN, ALLOW ONLY WHEN, DENY FROM ... WHEN

  RuleId id = kNoId;
  std::string name;
  CommandMask commands = 0;
  bool at_login = false;  // FOR CONNECT (any target), or FOR ALL ON ANY
  ast::RuleTarget::Kind target = ast::RuleTarget::Kind::kAny;
  std::uint32_t target_id = kNoId;  // ObjectId (TABLE, COLUMN) or RealmId (REALM)
  std::string target_text;          // "TABLE users", "COLUMN users.ssn", "REALM pii", "ANY"
  std::string message;              // the MESSAGE text, or 'denied by command rule "name"'

  // The rule's verdict for a session. Never allocates (an evaluation error is only reported
  // as kEvaluationError; explain() gives its text).
  RuleCheck check(const Factors& factors) const;

  // The verdict and a sentence saying why, for EXPLAIN VAULT, e.g.
  // "condition is TRUE: program_name = 'export_tool'" or "session has ROLE dba".
  std::string explain(const Factors& factors, RuleCheck* verdict) const;

  // The principal that matches the session, or nullptr.
  const Principal* matching_principal(const Factors& factors) const;
};

// Compiles `rule` with id `id` (the vault's; rules are checked in ascending id order).
// Names are resolved through compiler.resolver(). Errors: 42704 unknown table, column,
// realm, user or role (message names it) and the errors of PredicateCompiler::compile;
// 22023 a rule without commands or a WHEN/ONLY WHEN rule without a condition.
Result<CommandRule> compile_command_rule(const ast::CreateCommandRule& rule, RuleId id,
                                         PredicateCompiler& compiler);

}  // namespace dbvault::rules
