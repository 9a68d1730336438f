// Separation of duties between the four built-in roles (docs/vault.md §3). The roles fall on
// two sides that no account may straddle:
//   vault side    VAULT_ADMIN, AUDIT_VIEWER      managed by VAULT_ADMIN
//   account side  DBA, ACCOUNT_MANAGER           managed by ACCOUNT_MANAGER
// so DBA+VAULT_ADMIN and VAULT_ADMIN+ACCOUNT_MANAGER (the pairs issue 9 forbids), and the
// auditor's independence from the accounts it audits, follow from one rule. Pure functions
// of a snapshot; the executors in exec_accounts.cpp turn their answers into refusals.
#pragma once

#include <cstdint>
#include <optional>

#include "vault/policy_snapshot.h"

namespace dbvault::vault {

enum class DutySide { kNone, kVault, kAccount };

// The side of a built-in role; kNone for any other role.
DutySide side_of_role(std::uint32_t role);
// The side of the built-in roles `user` holds (directly or through roles); kNone when it holds
// none. A store written before these rules may hold both: then kVault, the stricter manager.
DutySide side_of_user(const PolicySnapshot& snap, std::uint32_t user);
// The built-in role that manages a side: VAULT_ADMIN (vault) or ACCOUNT_MANAGER (otherwise).
std::uint32_t manager_of(DutySide side);
// A built-in role `user` holds that may not be held together with built-in `role`, if any.
std::optional<std::uint32_t> conflicting_role(const PolicySnapshot& snap, std::uint32_t user,
                                              std::uint32_t role);
// How many users hold `role`, directly or through roles.
std::size_t holder_count(const PolicySnapshot& snap, std::uint32_t role);
// The role's name in upper case, as statements spell built-in roles ("VAULT_ADMIN").
std::string role_label(const PolicySnapshot& snap, std::uint32_t role);

}  // namespace dbvault::vault
