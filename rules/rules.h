// The rules component's public interface, in one include:
//   ids.h                dense ids, BitsetView / IdBitset
//   factors.h            Factors: the session attributes a rule tests
//   compiled_predicate.h NameResolver, PredicateCompiler, CompiledPredicate (expressions,
//                        rule sets)
//   command_rule.h       CommandRule: one compiled CREATE COMMAND RULE
//   rule_index.h         RuleIndex: which rules apply to an access, evaluate, explain
// docs/rules.md describes the language and how rules are matched and evaluated.
#pragma once

#include "rules/command_rule.h"
#include "rules/compiled_predicate.h"
#include "rules/factors.h"
#include "rules/ids.h"
#include "rules/rule_index.h"
