// Emergency unlock (issue 9 item 10): AUTHORIZED BY is enforced, REVIEW has its roles, a
// decision is conditional on the request still pending, and dropping a user keeps history.
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <latch>
#include <map>
#include <optional>
#include <thread>

#include "tests/vault/vault_fixture.h"
#include "vault/credentials.h"
#include "vault/policy_store.h"

namespace dbvault::vault::test {

using ast::Command;

namespace {

struct EmergencyFixture : VaultFixture {
  EmergencyFixture() {
    cast();
    Session admin = login("sec_admin");
    ok(admin, "CREATE REALM pii REQUIRE VAULT PASSWORD 'pii-pw'");
    ok(admin, "ALTER REALM pii ADD TABLE users");
  }
  // A pending request by `requester`, to be approved by `approver`; returns its id.
  std::string request(std::string_view requester, std::string_view approver) {
    Session s = login(requester);
    auto r = ok(s, "EMERGENCY UNLOCK REALM pii AUTHORIZED BY " + std::string(approver) +
                       " REASON 'INC-7' VALID FOR '10 minutes'");
    return r.rows.at(0).at(0);
  }
  // The SQLSTATE of a decision; no Boost.Test assertion inside (it runs on other threads).
  std::string decide(Session& s, std::string_view verb, const std::string& id) {
    auto st = grammar::parse(std::string(verb) + " EMERGENCY UNLOCK '" + id + "'");
    if (!st.ok()) return "parse";
    auto r = vault->execute(s, *st);
    return r.ok() ? "00000" : std::string(r.error().code.code());
  }
  // The vault.emergency_unlocks row of `id`, as column -> value.
  std::map<std::string, std::string> row_of(const std::string& id) {
    Session carol = login("carol");
    auto v = vault->query_view(carol, "vault.emergency_unlocks");
    BOOST_TEST_REQUIRE(v.ok());
    for (const auto& row : v->rows) {
      if (row[0] != id) continue;
      std::map<std::string, std::string> m;
      for (std::size_t c = 0; c < v->columns.size(); ++c) m[v->columns[c]] = row[c];
      return m;
    }
    return {};
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(emergency, EmergencyFixture)

BOOST_AUTO_TEST_CASE(only_the_named_approver_decides) {
  const std::string id = request("dba_alice", "sec_admin");
  Session admin2 = login("admin2");  // a VAULT_ADMIN, but not the one named
  fails(admin2, "APPROVE EMERGENCY UNLOCK '" + id + "'", "42501");
  fails(admin2, "REJECT EMERGENCY UNLOCK '" + id + "'", "42501");
  BOOST_TEST(row_of(id)["state"] == "pending");
  Session admin = login("sec_admin");
  ok(admin, "APPROVE EMERGENCY UNLOCK '" + id + "'");
  Session dba = login("dba_alice");
  BOOST_TEST(access(dba, Command::kSelect, "users").ok());
  BOOST_TEST(row_of(id)["decided_by"] == "sec_admin");
}

BOOST_AUTO_TEST_CASE(the_approver_is_a_vault_admin_other_than_the_requester) {
  Session admin = login("sec_admin");
  fails(admin,
        "EMERGENCY UNLOCK REALM pii AUTHORIZED BY sec_admin REASON 'me' VALID FOR '5 minutes'",
        "42501");
  Session dba = login("dba_alice");
  fails(dba, "EMERGENCY UNLOCK REALM pii AUTHORIZED BY bob REASON 'x' VALID FOR '5 minutes'",
        "22023");  // bob cannot approve anything
  fails(dba, "EMERGENCY UNLOCK REALM pii AUTHORIZED BY nobody REASON 'x' VALID FOR '5 minutes'",
        "42704");
  // A request that could never be decided leaves nothing behind.
  Session carol = login("carol");
  BOOST_TEST(vault->query_view(carol, "vault.emergency_unlocks")->rows.empty());
}

BOOST_AUTO_TEST_CASE(review_needs_an_auditor_or_vault_admin_outside_the_request) {
  const std::string id = request("dba_alice", "sec_admin");
  Session admin = login("sec_admin");
  ok(admin, "APPROVE EMERGENCY UNLOCK '" + id + "'");
  const std::string review = "REVIEW EMERGENCY UNLOCK '" + id + "' NOTES 'ok'";
  Session bob = login("bob");  // no role
  fails(bob, review, "42501");
  Session acct = login("acct");  // ACCOUNT_MANAGER
  fails(acct, review, "42501");
  Session dba = login("dba_alice");  // the requester
  fails(dba, review, "42501");
  fails(admin, review, "42501");  // the approver
  BOOST_TEST(row_of(id)["needs_review"] == "true");
  Session admin2 = login("admin2");  // another VAULT_ADMIN may
  ok(admin2, review);
  BOOST_TEST(row_of(id)["reviewed_by"] == "admin2");
  Session carol = login("carol");
  fails(carol, review, "55000");  // once
  // An AUDIT_VIEWER may as well.
  const std::string second = request("dba_alice", "sec_admin");
  ok(admin, "REJECT EMERGENCY UNLOCK '" + second + "'");
  ok(carol, "REVIEW EMERGENCY UNLOCK '" + second + "' NOTES 'rejected, fine'");
}

namespace {
// A clock whose next `parties` readings wait for each other: the decision executor reads the
// clock after it has loaded the request, so arming it for two makes two decisions both load
// the request while it is still pending before either writes — the interleaving of a race,
// every time.
class RendezvousClock final : public Clock {
 public:
  explicit RendezvousClock(const Clock& inner) : inner_(inner) {}
  void arm(int parties) {
    gate_.emplace(parties);
    remaining_ = parties;
  }
  TimePoint now() const override {
    if (remaining_.fetch_sub(1) > 0) gate_->arrive_and_wait();
    return inner_.now();
  }

 private:
  const Clock& inner_;
  mutable std::optional<std::latch> gate_;
  mutable std::atomic<int> remaining_{0};
};
}  // namespace

// Two decisions at once on one request: exactly one wins, the other gets 55000, and only the
// winner's decision is audited.
BOOST_AUTO_TEST_CASE(concurrent_decisions_one_wins) {
  constexpr int kRequests = 8;
  std::vector<std::string> ids;
  // One pending request per requester and realm: eight requesters.
  Session boot = login("dba_boot");
  for (int i = 0; i < kRequests; ++i) {
    const std::string user = "oncall_" + std::to_string(i);
    ok(boot, "CREATE USER " + user + " PASSWORD 'pw-" + user + "'");
    ids.push_back(request(user, "sec_admin"));
  }
  RendezvousClock gate(clock);
  vault.reset();
  Options o = options();
  o.clock = &gate;
  vault = std::move(Vault::open(std::move(o))).value();
  Session approver = login("sec_admin");
  Session rejecter = login("sec_admin");
  sink.clear();
  for (const auto& id : ids) {
    std::string a, r;
    gate.arm(2);
    std::thread t1([&] { a = decide(approver, "APPROVE", id); });
    std::thread t2([&] { r = decide(rejecter, "REJECT", id); });
    t1.join();
    t2.join();
    BOOST_TEST(((a == "00000" && r == "55000") || (a == "55000" && r == "00000")),
               "approve " << a << ", reject " << r);
    const auto state = row_of(id)["state"];
    BOOST_TEST(state == (a == "00000" ? "approved" : "rejected"));
  }
  BOOST_TEST(count_events(audit::EventType::kEmergencyAccess) ==
             static_cast<std::size_t>(kRequests));
}

BOOST_AUTO_TEST_CASE(a_second_pending_request_for_the_same_realm_is_55000) {
  const std::string first = request("dba_alice", "sec_admin");
  Session alice = login("dba_alice");
  fails(alice,
        "EMERGENCY UNLOCK REALM pii AUTHORIZED BY sec_admin REASON 'again' VALID FOR '10 minutes'",
        "55000");
  Session sec = login("sec_admin");
  ok(sec, "REJECT EMERGENCY UNLOCK '" + first + "'");
  request("dba_alice", "sec_admin");  // decided: a new one may be made
}

BOOST_AUTO_TEST_CASE(dropping_users_keeps_emergency_history) {
  Session boot = login("dba_boot");
  ok(boot, "CREATE USER oncall PASSWORD 'pw-oncall'");
  const std::string id = request("oncall", "sec_admin");
  Session admin = login("sec_admin");
  ok(admin, "APPROVE EMERGENCY UNLOCK '" + id + "'");
  const std::string pending = request("oncall", "admin2");
  ok(boot, "DROP USER oncall");
  auto row = row_of(id);
  BOOST_TEST(row["requester"] == "oncall");
  BOOST_TEST(row["state"] == "approved");
  BOOST_TEST(row["decided_by"] == "sec_admin");
  BOOST_TEST(row["realm"] == "pii");
  BOOST_TEST(row_of(pending)["state"] == "pending");
  // A new account of the same name inherits nothing.
  ok(boot, "CREATE USER oncall PASSWORD 'pw-oncall-2'");
  Session again = login("oncall");
  BOOST_TEST(access(again, Command::kSelect, "users").error().code.code() == "42501");
  Session admin2 = login("admin2");
  fails(admin2, "APPROVE EMERGENCY UNLOCK '" + pending + "'", "55000");  // requester is gone
  BOOST_TEST(access(again, Command::kSelect, "users").error().code.code() == "42501");
  // The review of the dropped user's request still happens.
  Session carol = login("carol");
  ok(carol, "REVIEW EMERGENCY UNLOCK '" + id + "' NOTES 'left the company'");
  // Nor does dropping the approver or the realm erase it.
  ok(admin, "DROP REALM pii");
  BOOST_TEST(row_of(id)["realm"] == "pii");
  BOOST_TEST(row_of(id)["reviewed_by"] == "carol");
}

// A store written by the first release (schema 1, ON DELETE CASCADE) keeps its emergency
// history through the migration, and the approver it names is resolved to its account.
BOOST_AUTO_TEST_CASE(migration_keeps_requests_of_a_version_1_store) {
  vault.reset();
  for (const char* f : {"policy.db", "policy.db-wal", "policy.db-shm"}) {
    std::filesystem::remove(dir / f);
  }
  {
    auto v1 = PolicyStore::open(dir / "policy.db", 1);
    BOOST_TEST_REQUIRE(v1.ok());
    auto verifier = make_scram_verifier(SecretString("pw"), 64);
    BOOST_TEST_REQUIRE(verifier.ok());
    const Status st = (*v1)->write([&](PolicyStore::Db& db) -> Status {
      for (const char* u : {"sec_admin", "admin2", "oncall", "carol"}) {
        DBV_RETURN_IF_ERROR(db.run(
            "INSERT INTO users (name, scram_verifier, created_at) VALUES (?, ?, 0)", u, *verifier));
      }
      DBV_RETURN_IF_ERROR(db.run("INSERT INTO user_roles VALUES (1, 1), (2, 1), (4, 2)"));
      DBV_RETURN_IF_ERROR(
          db.run("INSERT INTO realms (name, mode, state, require_password, created_at) "
                 "VALUES ('pii', 0, 0, 0, 0)"));
      return db.run(
          "INSERT INTO emergency_requests (public_id, realm_id, user_id, authorizer, reason, "
          "valid_for_s, requested_at, state) VALUES "
          "('em_old', 1, 3, 'admin2', 'old', 60, 0, 'pending'), "
          "('em_done', 1, 3, 'sec_admin', 'old', 60, 0, 'rejected')");
    });
    BOOST_TEST_REQUIRE(st.ok(), (st.ok() ? "" : st.error().message));
  }
  open();  // migrates to the current schema
  Session boot = login("sec_admin");
  fails(boot, "APPROVE EMERGENCY UNLOCK 'em_old'", "42501");  // admin2 is the one named
  Session admin2 = login("admin2");
  ok(admin2, "APPROVE EMERGENCY UNLOCK 'em_old'");
  auto row = row_of("em_done");
  BOOST_TEST(row["requester"] == "oncall");
  BOOST_TEST(row["realm"] == "pii");
  BOOST_TEST(row_of("em_old")["state"] == "approved");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::vault::test
