#include "vault/duties.h"

#include <array>
#include <cctype>

namespace dbvault::vault {

namespace {
constexpr std::array<std::uint32_t, 4> kBuiltins = {kRoleVaultAdmin, kRoleAuditViewer,
                                                    kRoleAccountManager, kRoleDba};
}  // namespace

DutySide side_of_role(std::uint32_t role) {
  switch (role) {
    case kRoleVaultAdmin:
    case kRoleAuditViewer:
      return DutySide::kVault;
    case kRoleAccountManager:
    case kRoleDba:
      return DutySide::kAccount;
    default:
      return DutySide::kNone;
  }
}

DutySide side_of_user(const PolicySnapshot& snap, std::uint32_t user) {
  DutySide side = DutySide::kNone;
  for (const auto role : kBuiltins) {
    if (!snap.has_role(user, role)) continue;
    if (side_of_role(role) == DutySide::kVault) return DutySide::kVault;
    side = DutySide::kAccount;
  }
  return side;
}

std::uint32_t manager_of(DutySide side) {
  return side == DutySide::kVault ? kRoleVaultAdmin : kRoleAccountManager;
}

std::optional<std::uint32_t> conflicting_role(const PolicySnapshot& snap, std::uint32_t user,
                                              std::uint32_t role) {
  const DutySide side = side_of_role(role);
  if (side == DutySide::kNone) return std::nullopt;
  for (const auto held : kBuiltins) {
    const DutySide other = side_of_role(held);
    if (other != side && snap.has_role(user, held)) return held;
  }
  return std::nullopt;
}

std::size_t holder_count(const PolicySnapshot& snap, std::uint32_t role) {
  std::size_t n = 0;
  for (const auto& u : snap.data().users) n += snap.has_role(u.id, role) ? 1 : 0;
  return n;
}

std::string role_label(const PolicySnapshot& snap, std::uint32_t role) {
  std::string name(snap.role_name(role));
  if (side_of_role(role) == DutySide::kNone) return name;
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

}  // namespace dbvault::vault
