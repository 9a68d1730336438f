// Compiled rule expressions: an ast::Expr (already type-checked by the grammar) turned into a
// flat program that evaluates over Factors with no allocation and no lock.
//
// Compilation resolves names through a NameResolver the vault implements: HAS_ROLE('r') to a
// RoleId, REALM_UNLOCKED('r') to a RealmId, RULE_SET('n') to that rule set's own compiled
// program. It pre-parses literal CIDR blocks and LIKE patterns and folds constant
// sub-expressions. docs/rules.md describes the language; the semantics in brief:
//   - SQL three-valued logic: a NULL literal makes comparisons UNKNOWN; AND/OR/NOT are
//     Kleene's; AND and OR evaluate left to right and stop once the result is known.
//   - HOUR(ts) is the UTC hour 0..23; DAY_OF_WEEK(ts) is the ISO day in UTC, 1 = Monday ..
//     7 = Sunday.
//   - Strings compare byte-wise (C collation); LIKE is case-sensitive, '%' = any run, '_' = one
//     character, '\' escapes the next character.
//
// FAIL CLOSED: eval() returns an Error when an expression cannot be evaluated (a malformed
// client_ip inside IN_CIDR, a CIDR block or LIKE pattern computed at run time that is
// invalid, a predicate made with failing()). A command rule treats that error — and an
// UNKNOWN result where it needs TRUE or FALSE — as DENY (see command_rule.h).
//
// Thread-safety: a CompiledPredicate is immutable; any number of threads may eval() it at
// once. Copies share the program. PredicateCompiler is not thread-safe (one per build).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "grammar/ast.h"
#include "rules/factors.h"
#include "rules/ids.h"

namespace dbvault::rules {

enum class TriBool : std::uint8_t { kFalse, kTrue, kUnknown };
std::string_view tribool_name(TriBool v);  // "FALSE", "TRUE", "UNKNOWN"

// Name lookups the compiler needs; implemented by the vault over its policy snapshot. Each
// returns nullopt / nullptr for an unknown name (compilation then fails with 42704).
class NameResolver {
 public:
  virtual ~NameResolver() = default;
  virtual std::optional<RoleId> find_role(std::string_view name) const = 0;
  virtual std::optional<UserId> find_user(std::string_view name) const = 0;
  virtual std::optional<RealmId> find_realm(std::string_view name) const = 0;
  // A table (ref.column empty) or one of its columns.
  virtual std::optional<ObjectId> find_object(const ast::ObjectRef& ref) const = 0;
  // The definition of rule set `name`; the pointer must stay valid while compiling.
  virtual const ast::CreateRuleSet* find_rule_set(std::string_view name) const = 0;
};

namespace detail {
struct Program;
}

class CompiledPredicate {
 public:
  // TRUE, FALSE or UNKNOWN; or an Error when the expression cannot be evaluated:
  // 22023 (client_ip not an address, CIDR block computed at run time invalid),
  // 22025 (LIKE pattern computed at run time ends with the escape character), or the error a
  // failing() predicate was made with. Never allocates unless it returns an Error.
  Result<TriBool> eval(const Factors& factors) const;
  // eval() for the hot path: nullopt when eval() would return an Error.
  std::optional<TriBool> try_eval(const Factors& factors) const;
  // Internal to rules/ (RuleIndex prefetches programs): the compiled program.
  const detail::Program* program() const { return program_.get(); }

  // The expression as canonical SQL, for EXPLAIN VAULT and audit records.
  const std::string& source() const;
  // True when the value does not depend on the session (folded to a constant).
  bool is_constant() const;

  // A predicate whose every evaluation returns `why`: lets the vault keep a rule that no
  // longer compiles (e.g. a role it names was dropped) in force, failing closed.
  static CompiledPredicate failing(Error why, std::string source);

 private:
  friend class PredicateCompiler;
  friend class ExprCompiler;
  explicit CompiledPredicate(std::shared_ptr<const detail::Program> p) : program_(std::move(p)) {}
  std::shared_ptr<const detail::Program> program_;  // never null
};

// Compiles conditions and rule sets. Rule sets are compiled once per compiler and shared by
// every predicate that names them, so build one compiler per policy snapshot.
class PredicateCompiler {
 public:
  // REQUIRES: `resolver` outlives the compiler.
  explicit PredicateCompiler(const NameResolver& resolver);

  // Compiles a condition (DENY WHEN / ALLOW ONLY WHEN / DENY FROM ... WHEN). REQUIRES:
  // `condition` passed grammar::check_condition (grammar::parse guarantees it).
  // Errors: 42704 unknown role, realm or rule set (position set); 0A000 HAS_ROLE,
  // REALM_UNLOCKED or RULE_SET with an argument that is not a string literal; 42P17 a rule
  // set that references itself, directly or not; 54001 rule sets nested deeper than 32;
  // 22025 literal LIKE pattern ending in the escape character; 42804 non-boolean condition.
  Result<CompiledPredicate> compile(const ast::Expr& condition);

  // The compiled form of rule set `name` (ALL: every condition, i.e. AND; ANY: OR).
  // Errors: as compile(), and 42704 when the resolver does not know `name`.
  Result<CompiledPredicate> compile_rule_set(std::string_view name);

  const NameResolver& resolver() const { return resolver_; }

 private:
  friend class ExprCompiler;
  Result<std::uint32_t> compile_conditions(const ast::CreateRuleSet& def, detail::Program& program);

  const NameResolver& resolver_;
  std::map<std::string, std::shared_ptr<const detail::Program>, std::less<>> rule_sets_;
  std::vector<std::string> in_progress_;  // rule sets being compiled, outermost first
};

}  // namespace dbvault::rules
