// Which command rules and rule sets depend on a user or role: those whose compilation resolves
// its name (DENY FROM USER u, DENY FROM ROLE r, HAS_ROLE('r')). Dropping the name makes each of
// them fail closed — deny its commands everywhere (docs/vault.md §6) — so DROP USER and DROP
// ROLE refuse unless CASCADE is given (exec_accounts.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "vault/policy_snapshot.h"

namespace dbvault::vault {

// "command rule R" / "rule set S" for every stored rule that names `name` as a principal of
// `kind`, in store order. A stored rule that no longer parses is skipped (it already fails
// closed, whatever is dropped).
std::vector<std::string> rules_naming(const PolicySnapshot& snap, ast::PrincipalKind kind,
                                      std::string_view name);

}  // namespace dbvault::vault
