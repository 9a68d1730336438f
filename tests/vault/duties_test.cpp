// Separation of duties (issue 9 item 9): the bootstrap splits the duties between three
// accounts; every pair of built-in roles on one account; who may manage whom; self-grants;
// built-in roles on roles; the last VAULT_ADMIN.
#include <boost/test/unit_test.hpp>
#include <latch>
#include <thread>

#include "tests/vault/vault_fixture.h"
#include "vault/policy_store.h"

namespace dbvault::vault::test {

namespace {

struct RoleCase {
  const char* sql;     // as GRANT spells it
  const char* holder;  // a session of the cast holding the role (and nothing else)
};
// The four built-in roles, and who in the cast holds each alone ("" : nobody's role).
const RoleCase kVaultAdmin{"VAULT_ADMIN", "sec_admin"};
const RoleCase kAuditViewer{"AUDIT_VIEWER", "carol"};
const RoleCase kAccountManager{"ACCOUNT_MANAGER", "acct"};
const RoleCase kDba{"DBA", "dba_alice"};
const RoleCase kNoRole{"", "bob"};
const RoleCase kBuiltins[] = {kVaultAdmin, kAuditViewer, kAccountManager, kDba};

// Who may grant a built-in role: VAULT_ADMIN for the vault side, ACCOUNT_MANAGER otherwise.
std::string granter_of(std::string_view role) {
  return role == "VAULT_ADMIN" || role == "AUDIT_VIEWER" ? "sec_admin" : "acct";
}

struct DutiesFixture : VaultFixture {
  DutiesFixture() {
    cast();
    Session boot = login("dba_boot");
    ok(boot, "CREATE ROLE helpers");
  }
  int next = 0;
  // A fresh account holding `role` (none for ""), created by an ACCOUNT_MANAGER.
  std::string account_holding(std::string_view role) {
    const std::string name = "t" + std::to_string(++next);
    Session boot = login("dba_boot");
    ok(boot, "CREATE USER " + name + " PASSWORD 'pw-" + name + "'");
    if (!role.empty()) {
      Session granter = login(granter_of(role));
      ok(granter, "GRANT " + std::string(role) + " TO " + name);
    }
    return name;
  }
  std::size_t sod_events(std::string_view rule) const {
    std::size_t n = 0;
    for (const auto& e : sink.events()) {
      n += e.type == audit::EventType::kSodViolation && e.detail.value("rule", "") == rule;
    }
    return n;
  }
};

bool same_side(std::string_view a, std::string_view b) {
  auto vault_side = [](std::string_view r) { return r == "VAULT_ADMIN" || r == "AUDIT_VIEWER"; };
  return vault_side(a) == vault_side(b);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(duties, DutiesFixture)

BOOST_AUTO_TEST_CASE(bootstrap_splits_the_duties_between_three_accounts) {
  auto sn = vault->snapshot();
  const auto dba = *sn->find_user("dba_boot"), sec = *sn->find_user("sec_admin"),
             aud = *sn->find_user("carol");
  BOOST_TEST(sn->has_role(dba, kRoleDba));
  BOOST_TEST(sn->has_role(dba, kRoleAccountManager));
  BOOST_TEST(!sn->has_role(dba, kRoleVaultAdmin));
  BOOST_TEST(!sn->has_role(dba, kRoleAuditViewer));
  BOOST_TEST(sn->has_role(sec, kRoleVaultAdmin));
  BOOST_TEST(!sn->has_role(sec, kRoleAccountManager));
  BOOST_TEST(!sn->has_role(sec, kRoleDba));
  BOOST_TEST(sn->has_role(aud, kRoleAuditViewer));
  BOOST_TEST(!sn->has_role(aud, kRoleVaultAdmin));
  // A second empty store: every account needs a name and a password, each its own name.
  auto other = [&] {
    auto o = options();
    o.policy_path = dir / "other.db";
    return o;
  };
  auto no_password = other();
  no_password.bootstrap.auditor.password = SecretString();
  BOOST_TEST(Vault::open(std::move(no_password)).error().code.code() == "22023");
  auto twice = other();
  twice.bootstrap.auditor.name = twice.bootstrap.secadmin.name;
  BOOST_TEST(Vault::open(std::move(twice)).error().code.code() == "22023");
  auto fresh = Vault::open(other());  // nothing of the failed attempts was left behind
  BOOST_TEST_REQUIRE(fresh.ok());
  BOOST_TEST((*fresh)->snapshot()->data().users.size() == 3U);
}

// Every ordered pair of built-in roles on one fresh account: the second grant succeeds only
// when both roles are on the same side (VAULT_ADMIN + AUDIT_VIEWER, DBA + ACCOUNT_MANAGER).
BOOST_AUTO_TEST_CASE(every_pair_of_builtin_roles) {
  for (const auto& first : kBuiltins) {
    for (const auto& second : kBuiltins) {
      if (std::string_view(first.sql) == second.sql) continue;
      const std::string user = account_holding(first.sql);
      Session granter = login(granter_of(second.sql));
      auto r = run(granter, std::string("GRANT ") + second.sql + " TO " + user);
      const bool allowed = same_side(first.sql, second.sql);
      BOOST_TEST(r.ok() == allowed, first.sql << " then " << second.sql);
      if (!r.ok()) {
        BOOST_TEST(r.error().code.code() == "42501");
        BOOST_TEST(r.error().message.find(std::string("holds ") + first.sql) != std::string::npos,
                   r.error().message);
      }
    }
  }
  BOOST_TEST(sod_events("conflicting_roles") == 8U);  // 12 ordered pairs, 4 allowed
  // Whatever was attempted, no account holds roles of both sides.
  auto sn = vault->snapshot();
  for (const auto& u : sn->data().users) {
    const bool vault_side =
        sn->has_role(u.id, kRoleVaultAdmin) || sn->has_role(u.id, kRoleAuditViewer);
    const bool account_side =
        sn->has_role(u.id, kRoleDba) || sn->has_role(u.id, kRoleAccountManager);
    BOOST_TEST(!(vault_side && account_side), u.name);
  }
}

// Who may ALTER USER (another's password), DROP USER, and GRANT / REVOKE an ordinary role:
// the manager of the target's side. Rows: the caller's role; columns: the target's role.
BOOST_AUTO_TEST_CASE(who_manages_whom) {
  const RoleCase targets[] = {kVaultAdmin, kAuditViewer, kAccountManager, kDba, kNoRole};
  const RoleCase callers[] = {kVaultAdmin, kAuditViewer, kAccountManager, kDba, kNoRole};
  struct Row {
    const char* caller;
    bool alter[5], drop[5], grant[5];  // by target: VA, AV, AM, DBA, none
  };
  const Row expected[] = {
      {"VAULT_ADMIN", {1, 1, 0, 0, 0}, {1, 1, 0, 0, 0}, {1, 1, 0, 0, 0}},
      {"AUDIT_VIEWER", {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}},
      {"ACCOUNT_MANAGER", {0, 0, 1, 1, 1}, {0, 0, 1, 1, 1}, {0, 0, 1, 1, 1}},
      {"DBA", {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, 1, 1, 1}},
      {"", {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}},
  };
  for (std::size_t c = 0; c < 5; ++c) {
    BOOST_TEST_REQUIRE(std::string_view(expected[c].caller) == callers[c].sql);
    Session caller = login(callers[c].holder);
    for (std::size_t t = 0; t < 5; ++t) {
      const std::string what = std::string(callers[c].holder) + " on a holder of " +
                               (*targets[t].sql ? targets[t].sql : "no role");
      const std::string user = account_holding(targets[t].sql);
      const auto verifier = vault->scram_verifier(user);
      auto alter = run(caller, "ALTER USER " + user + " PASSWORD 'taken-over'");
      BOOST_TEST(alter.ok() == expected[c].alter[t], "ALTER USER: " << what);
      if (!alter.ok()) BOOST_TEST((vault->scram_verifier(user) == verifier));  // unchanged
      auto grant = run(caller, "GRANT helpers TO " + user);
      BOOST_TEST(grant.ok() == expected[c].grant[t], "GRANT helpers: " << what);
      if (grant.ok()) {
        BOOST_TEST(run(caller, "REVOKE helpers FROM " + user).ok(), "REVOKE: " << what);
      }
      auto drop = run(caller, "DROP USER " + user);
      BOOST_TEST(drop.ok() == expected[c].drop[t], "DROP USER: " << what);
      BOOST_TEST(vault->snapshot()->find_user(user).has_value() == !drop.ok());
      for (auto* r : {&alter, &grant, &drop}) {
        if (!r->ok()) BOOST_TEST(r->error().code.code() == "42501", what);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(nobody_grants_a_role_to_themselves) {
  Session acct = login("acct");  // ACCOUNT_MANAGER
  auto e = fails(acct, "GRANT DBA TO acct", "42501");
  BOOST_TEST(e.message.find("themselves") != std::string::npos);
  fails(acct, "GRANT helpers TO acct", "42501");
  Session admin2 = login("admin2");  // VAULT_ADMIN
  fails(admin2, "GRANT AUDIT_VIEWER TO admin2", "42501");
  // Nor through a role one is a member of.
  Session dba = login("dba_alice");
  ok(dba, "CREATE ROLE ops");
  ok(dba, "GRANT ops TO bob");
  Session boot = login("dba_boot");
  ok(boot, "GRANT ops TO acct");
  fails(acct, "GRANT helpers TO ops", "42501");
  ok(dba, "GRANT helpers TO ops");  // dba_alice is not a member of ops
  BOOST_TEST(sod_events("self_grant") == 4U);
  // Revoking one's own role is allowed: it only takes power away.
  ok(boot, "GRANT ACCOUNT_MANAGER TO dba_alice");
  ok(dba, "REVOKE ACCOUNT_MANAGER FROM dba_alice");
  BOOST_TEST(!vault->snapshot()->has_role(*vault->snapshot()->find_user("dba_alice"),
                                          kRoleAccountManager));
}

BOOST_AUTO_TEST_CASE(builtin_roles_go_to_users_only) {
  Session acct = login("acct");
  ok(acct, "CREATE ROLE ops");
  fails(acct, "GRANT DBA TO ops", "42501");
  Session admin = login("sec_admin");
  fails(admin, "GRANT VAULT_ADMIN TO ops", "42501");
  BOOST_TEST(sod_events("builtin_to_role") == 2U);
}

BOOST_AUTO_TEST_CASE(the_last_vault_admin_stays) {
  Session admin = login("sec_admin");
  Session admin2 = login("admin2");
  ok(admin, "REVOKE VAULT_ADMIN FROM admin2");  // sec_admin is left
  fails(admin, "REVOKE VAULT_ADMIN FROM sec_admin", "42501");
  fails(admin, "DROP USER sec_admin", "42501");
  BOOST_TEST(sod_events("last_vault_admin") == 2U);
  ok(admin, "GRANT VAULT_ADMIN TO admin2");
  ok(admin2, "REVOKE VAULT_ADMIN FROM sec_admin");
  BOOST_TEST(
      !vault->snapshot()->has_role(*vault->snapshot()->find_user("sec_admin"), kRoleVaultAdmin));
}

// The pair check runs inside the change: an ACCOUNT_MANAGER granting DBA and a VAULT_ADMIN
// granting VAULT_ADMIN to one account at the same moment cannot both succeed.
BOOST_AUTO_TEST_CASE(concurrent_grants_of_both_sides_one_wins) {
  Session acct = login("acct");
  Session admin = login("sec_admin");
  auto dba = grammar::parse("GRANT DBA TO x");
  auto va = grammar::parse("GRANT VAULT_ADMIN TO x");
  BOOST_TEST_REQUIRE((dba.ok() && va.ok()));
  for (int i = 0; i < 25; ++i) {
    Session boot = login("dba_boot");
    ok(boot, "DROP USER IF EXISTS x");
    ok(boot, "CREATE USER x PASSWORD 'pw-x'");
    bool a = false, b = false;
    std::latch start(2);
    std::thread t1([&] {
      start.arrive_and_wait();
      a = vault->execute(acct, *dba).ok();
    });
    std::thread t2([&] {
      start.arrive_and_wait();
      b = vault->execute(admin, *va).ok();
    });
    t1.join();
    t2.join();
    BOOST_TEST(a != b, "round " << i << ": DBA " << a << ", VAULT_ADMIN " << b);
    if (!b) continue;
    Session sec = login("sec_admin");  // x is a VAULT_ADMIN now: only a VAULT_ADMIN drops it
    ok(sec, "DROP USER x");
  }
}

// A store bootstrapped by an earlier release: one account holds VAULT_ADMIN and
// ACCOUNT_MANAGER. It counts as vault-side (only a VAULT_ADMIN manages it), and the
// documented hand-over leaves it with VAULT_ADMIN alone.
BOOST_AUTO_TEST_CASE(legacy_admin_holding_both_sides_hands_over) {
  vault.reset();
  {
    auto store = PolicyStore::open(dir / "policy.db");
    BOOST_TEST_REQUIRE(store.ok());
    const Status st = (*store)->write([](PolicyStore::Db& db) {
      return db.run("INSERT INTO user_roles SELECT id, 3 FROM users WHERE name = 'sec_admin'");
    });
    BOOST_TEST_REQUIRE(st.ok());
  }
  open();
  Session legacy = login("sec_admin");  // VAULT_ADMIN + ACCOUNT_MANAGER
  Session acct = login("acct");
  fails(acct, "ALTER USER sec_admin PASSWORD 'taken-over'", "42501");
  ok(legacy, "CREATE USER new_acct PASSWORD 'pw-new'");
  ok(legacy, "GRANT ACCOUNT_MANAGER TO new_acct");
  Session fresh = login("new_acct");
  ok(fresh, "REVOKE ACCOUNT_MANAGER FROM sec_admin");
  auto sn = vault->snapshot();
  const auto id = *sn->find_user("sec_admin");
  BOOST_TEST(sn->has_role(id, kRoleVaultAdmin));
  BOOST_TEST(!sn->has_role(id, kRoleAccountManager));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::vault::test
