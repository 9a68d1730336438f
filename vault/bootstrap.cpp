// Bootstrap: the accounts an empty policy store starts with (Options::bootstrap), created in
// one transaction so that from the first statement on the duties are split between three
// people and no account holds a separated pair (docs/vault.md §10).
#include <spdlog/spdlog.h>

#include <array>
#include <set>

#include "vault/duties.h"
#include "vault/vault_impl.h"

namespace dbvault::vault {

namespace {

struct Seed {
  const BootstrapAccount* account;
  std::vector<std::uint32_t> roles;
};

Status validate(const std::array<Seed, 3>& seeds) {
  std::set<std::string> names;
  for (const auto& s : seeds) {
    if (s.account->name.empty() || s.account->password.empty()) {
      return make_error(sqlstate::kInvalidParameterValue,
                        "vault options: an empty policy store needs the names and passwords "
                        "of the dba, secadmin and auditor accounts");
    }
    if (!names.insert(s.account->name).second) {
      return make_error(sqlstate::kInvalidParameterValue,
                        "vault options: bootstrap account " + s.account->name +
                            " is named twice; each duty needs its own account");
    }
  }
  return ok_status();
}

}  // namespace

Status bootstrap_accounts(VaultImpl& v) {
  const BootstrapAccounts& b = v.opts.bootstrap;
  const std::array<Seed, 3> seeds = {{
      {&b.dba, {kRoleDba, kRoleAccountManager}},
      {&b.secadmin, {kRoleVaultAdmin}},
      {&b.auditor, {kRoleAuditViewer}},
  }};
  DBV_RETURN_IF_ERROR(validate(seeds));
  std::vector<std::string> verifiers;
  for (const auto& s : seeds) {
    auto verifier = make_scram_verifier(s.account->password, v.opts.scram_iterations);
    if (!verifier) return std::move(verifier).error();
    verifiers.push_back(std::move(verifier).value());
  }
  Session system(0, "dbvault", {});
  audit::Event ev = v.event(audit::EventType::kPolicyChanged, system);
  ev.detail["statement"] = "BOOTSTRAP";
  ev.detail["object"] = b.dba.name + " " + b.secadmin.name + " " + b.auditor.name;
  const std::int64_t now = v.now_us();
  return v.change(
      [&](PolicyStore::Db& db) -> Status {
        for (std::size_t i = 0; i < seeds.size(); ++i) {
          DBV_RETURN_IF_ERROR(
              db.run("INSERT INTO users (name, scram_verifier, created_at) VALUES (?, ?, ?)",
                     seeds[i].account->name, verifiers[i], now));
          const auto id = db.last_insert_id();
          for (const auto role : seeds[i].roles) {
            DBV_RETURN_IF_ERROR(db.run("INSERT INTO user_roles (user_id, role_id) VALUES (?, ?)",
                                       id, static_cast<int>(role)));
          }
        }
        return ok_status();
      },
      ev, /*durable=*/true);
}

void warn_about_conflicting_roles(const PolicySnapshot& snap) {
  for (const auto& u : snap.data().users) {
    // conflicting_role() asks "would `role` conflict?": only a holder of it has a conflict.
    if (!snap.has_role(u.id, kRoleVaultAdmin) && !snap.has_role(u.id, kRoleAuditViewer)) continue;
    if (auto held = snap.has_role(u.id, kRoleVaultAdmin)
                        ? conflicting_role(snap, u.id, kRoleVaultAdmin)
                        : std::nullopt) {
      spdlog::warn(
          "vault: user {} holds VAULT_ADMIN together with {} (a store bootstrapped before the "
          "separation of duties); revoke one of them (docs/vault.md §10)",
          u.name, role_label(snap, *held));
    } else if (auto other = conflicting_role(snap, u.id, kRoleAuditViewer)) {
      spdlog::warn("vault: user {} holds AUDIT_VIEWER together with {}; revoke one of them", u.name,
                   role_label(snap, *other));
    }
  }
}

}  // namespace dbvault::vault
