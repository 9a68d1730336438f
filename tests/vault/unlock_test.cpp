// Vault passwords, temporary grants, tokens, lockout, emergency unlock, and the audit trail.
#include <algorithm>
#include <boost/test/unit_test.hpp>

#include "tests/vault/vault_fixture.h"

namespace dbvault::vault::test {

using ast::Command;
using std::chrono::minutes;

namespace {
void pii_realm(VaultFixture& f) {
  f.cast();
  Session admin = f.login("sec_admin");
  f.ok(admin, "CREATE REALM pii_protection REQUIRE VAULT PASSWORD 'vault_secret_2025'");
  f.ok(admin, "ALTER REALM pii_protection ADD TABLE users");
}
}  // namespace

BOOST_FIXTURE_TEST_SUITE(unlock, VaultFixture)

BOOST_AUTO_TEST_CASE(temporary_grant_expires_and_its_token_dies_with_it) {
  pii_realm(*this);
  Session admin = login("sec_admin");
  auto g = ok(admin,
              "GRANT VAULT PASSWORD ON REALM pii_protection TO dba_alice "
              "VALID FOR INTERVAL '2 HOURS'");
  BOOST_TEST_REQUIRE(g.rows.size() == 1U);
  const std::string temp = g.rows[0][2];
  BOOST_TEST(g.rows[0][4] == "2025-10-13T14:00:00Z");
  Session dba = login("dba_alice");
  Session bob = login("bob");
  fails(bob, "UNLOCK REALM pii_protection PASSWORD '" + temp + "'", "28P01");  // not bob's
  auto u = ok(dba, "UNLOCK REALM pii_protection PASSWORD '" + temp + "'");
  BOOST_TEST(u.rows[0][3] == "2025-10-13T14:00:00Z");  // token lives as long as the grant
  const std::string token = u.rows[0][1];
  BOOST_TEST(access(dba, Command::kSelect, "users").ok());
  clock.advance(minutes(119));
  BOOST_TEST(access(dba, Command::kSelect, "users").ok());
  clock.advance(minutes(2));
  auto st = access(dba, Command::kSelect, "users");
  BOOST_TEST_REQUIRE(!st.ok());
  BOOST_TEST(st.error().code.code() == "42501");
  Session pooled = login("dba_alice");
  fails(pooled, "UNLOCK REALM pii_protection TOKEN '" + token + "'", "28P01");
  fails(pooled, "UNLOCK REALM pii_protection PASSWORD '" + temp + "'", "28P01");
}

BOOST_AUTO_TEST_CASE(token_reuse_same_user_only) {
  pii_realm(*this);
  Session dba = login("dba_alice");
  auto u = ok(dba, "UNLOCK REALM pii_protection PASSWORD 'vault_secret_2025'");
  const std::string token = u.rows[0][1];
  Session pooled = login("dba_alice");
  BOOST_TEST(!access(pooled, Command::kSelect, "users").ok());
  ok(pooled, "UNLOCK REALM pii_protection TOKEN '" + token + "'");
  BOOST_TEST(access(pooled, Command::kSelect, "users").ok());

  Session bob = login("bob");
  fails(bob, "UNLOCK REALM pii_protection TOKEN '" + token + "'", "28P01");
  BOOST_TEST(!access(bob, Command::kSelect, "users").ok());
  // A forged MAC, a token for another realm and garbage are refused alike. (A character in
  // the middle of the MAC: all its bits count.)
  std::string forged = token;
  char& middle = forged[forged.size() - 20];
  middle = middle == 'A' ? 'B' : 'A';
  fails(pooled, "UNLOCK REALM pii_protection TOKEN '" + forged + "'", "28P01");
  // The MAC's last character has two padding bits: setting one spells the same MAC in a
  // non-canonical text, refused too (one valid text per token).
  std::string padded = token;
  padded.back() = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
      [std::string_view("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
           .find(padded.back()) |
       1];
  fails(pooled, "UNLOCK REALM pii_protection TOKEN '" + padded + "'", "28P01");
  fails(pooled, "UNLOCK REALM pii_protection TOKEN 'not-a-token'", "28P01");

  // REVOKE VAULT TOKEN ends every session's unlock made with it.
  Session admin = login("sec_admin");
  ok(admin, "REVOKE VAULT TOKEN '" + u.rows[0][2] + "'");
  BOOST_TEST(!access(dba, Command::kSelect, "users").ok());
  BOOST_TEST(!access(pooled, Command::kSelect, "users").ok());
  fails(pooled, "UNLOCK REALM pii_protection TOKEN '" + token + "'", "28P01");
  // Expired tokens are refused.
  auto u2 = ok(dba, "UNLOCK REALM pii_protection PASSWORD 'vault_secret_2025'");
  clock.advance(minutes(61));
  fails(pooled, "UNLOCK REALM pii_protection TOKEN '" + u2.rows[0][1] + "'", "28P01");
}

BOOST_AUTO_TEST_CASE(revoke_vault_password_ends_grant_and_tokens) {
  pii_realm(*this);
  Session admin = login("sec_admin");
  auto g =
      ok(admin, "GRANT VAULT PASSWORD ON REALM pii_protection TO dba_alice VALID FOR '1 hour'");
  Session dba = login("dba_alice");
  ok(dba, "UNLOCK REALM pii_protection PASSWORD '" + g.rows[0][2] + "'");
  BOOST_TEST(access(dba, Command::kSelect, "users").ok());
  Session carol = login("carol");
  fails(carol, "REVOKE VAULT PASSWORD ON REALM pii_protection FROM dba_alice", "42501");
  ok(admin, "REVOKE VAULT PASSWORD ON REALM pii_protection FROM dba_alice");
  BOOST_TEST(!access(dba, Command::kSelect, "users").ok());
  fails(dba, "UNLOCK REALM pii_protection PASSWORD '" + g.rows[0][2] + "'", "28P01");
  fails(admin, "GRANT VAULT PASSWORD ON REALM pii_protection TO nobody VALID FOR '1 hour'",
        "42704");
  fails(dba, "GRANT VAULT PASSWORD ON REALM pii_protection TO dba_alice VALID FOR '1 hour'",
        "42501");
}

BOOST_AUTO_TEST_CASE(lockout_after_five_failures_released_after_fifteen_minutes) {
  pii_realm(*this);
  Session dba = login("dba_alice");
  for (int i = 0; i < 5; ++i) fails(dba, "UNLOCK REALM pii_protection PASSWORD 'guess'", "28P01");
  fails(dba, "UNLOCK REALM pii_protection PASSWORD 'vault_secret_2025'", "28000");
  // Another user is not locked out.
  Session bob = login("bob");
  ok(bob, "UNLOCK REALM pii_protection PASSWORD 'vault_secret_2025'");
  clock.advance(minutes(14));
  fails(dba, "UNLOCK REALM pii_protection PASSWORD 'vault_secret_2025'", "28000");
  clock.advance(minutes(2));
  ok(dba, "UNLOCK REALM pii_protection PASSWORD 'vault_secret_2025'");
  bool warned = false;
  int lockouts = 0, refusals = 0;
  for (const auto& e : sink.events()) {
    if (e.type != audit::EventType::kVaultUnlockFailed) continue;
    if (e.detail.value("lockout", false)) {
      warned = e.severity == audit::Severity::kWarning;
      ++lockouts;
    }
    if (e.detail.value("reason", "") == "locked_out") ++refusals;
  }
  BOOST_TEST(warned);
  BOOST_TEST(lockouts == 1);  // only the locking failure is flagged (and alerted)
  BOOST_TEST(refusals == 2);
  // Failures spread over more than 15 minutes do not lock out.
  Session dba2 = login("dba_alice");
  for (int i = 0; i < 8; ++i) {
    fails(dba2, "UNLOCK REALM pii_protection PASSWORD 'guess'", "28P01");
    clock.advance(minutes(4));
  }
}

BOOST_AUTO_TEST_CASE(audit_never_sees_secrets_and_failure_refuses_unlock) {
  pii_realm(*this);
  Session admin = login("sec_admin");
  auto g =
      ok(admin, "GRANT VAULT PASSWORD ON REALM pii_protection TO dba_alice VALID FOR '1 hour'");
  Session dba = login("dba_alice");
  fails(dba, "UNLOCK REALM pii_protection PASSWORD 'wrong-guess-xyz'", "28P01");
  auto u = ok(dba, "UNLOCK REALM pii_protection PASSWORD '" + g.rows[0][2] + "'");
  Session pooled = login("dba_alice");
  ok(pooled, "UNLOCK REALM pii_protection TOKEN '" + u.rows[0][1] + "'");
  const std::string json = events_json();
  for (const std::string& secret :
       {std::string("vault_secret_2025"), g.rows[0][2], u.rows[0][1],
        std::string("wrong-guess-xyz"), std::string("pw-bob"), std::string("Bootstrap-Pw-1")}) {
    BOOST_TEST(json.find(secret) == std::string::npos, "secret in audit: " << secret);
  }
  BOOST_TEST(json.find(g.rows[0][3]) != std::string::npos);  // the grant's id is recorded
  BOOST_TEST(count_events(audit::EventType::kVaultUnlock) == 2U);
  BOOST_TEST(count_events(audit::EventType::kVaultUnlockFailed) == 1U);
  for (const auto& e : sink.events()) BOOST_TEST(audit::validate_event(e).ok());
}

BOOST_AUTO_TEST_CASE(audit_sink_failure_refuses_unlock_with_58000) {
  pii_realm(*this);
  Session dba = login("dba_alice");
  Session admin = login("sec_admin");
  sink.set_failing(true);
  fails(dba, "UNLOCK REALM pii_protection PASSWORD 'vault_secret_2025'", "58000");
  sink.set_failing(false);
  BOOST_TEST(!access(dba, Command::kSelect, "users").ok());  // no unlock happened
  // The token issued before the failure is not in the store: nothing was written.
  auto u = ok(dba, "UNLOCK REALM pii_protection PASSWORD 'vault_secret_2025'");
  Session pooled = login("dba_alice");
  sink.set_failing(true);
  fails(pooled, "UNLOCK REALM pii_protection TOKEN '" + u.rows[0][1] + "'", "58000");
  BOOST_TEST(!access(pooled, Command::kSelect, "users").ok());
  // A policy change whose audit record cannot be written is rolled back.
  fails(admin, "CREATE REALM never", "58000");
  sink.set_failing(false);
  BOOST_TEST(!vault->snapshot()->find_realm("never").has_value());
}

BOOST_AUTO_TEST_CASE(audit_sink_failure_refuses_emergency_steps_and_simulated_access) {
  pii_realm(*this);
  Session dba = login("dba_alice");
  Session admin = login("sec_admin");
  sink.set_failing(true);
  fails(dba,
        "EMERGENCY UNLOCK REALM pii_protection AUTHORIZED BY sec_admin REASON 'x' "
        "VALID FOR '5 minutes'",
        "58000");
  sink.set_failing(false);
  auto req = ok(dba,
                "EMERGENCY UNLOCK REALM pii_protection AUTHORIZED BY sec_admin REASON 'x' "
                "VALID FOR '5 minutes'");
  sink.set_failing(true);
  fails(admin, "APPROVE EMERGENCY UNLOCK '" + req.rows[0][0] + "'", "58000");
  sink.set_failing(false);
  BOOST_TEST(access(dba, Command::kSelect, "users").error().code.code() == "55000");  // pending
  // A statement allowed only because a realm is in SIMULATION needs its audit record.
  ok(admin, "CREATE REALM trial SIMULATION");
  ok(admin, "ALTER REALM trial ADD TABLE financial_records");
  sink.set_failing(true);
  BOOST_TEST(access(dba, Command::kSelect, "financial_records").error().code.code() == "58000");
  sink.set_failing(false);
  BOOST_TEST(access(dba, Command::kSelect, "financial_records").ok());
}

BOOST_AUTO_TEST_CASE(emergency_unlock_two_person) {
  pii_realm(*this);
  Session dba = login("dba_alice");
  auto req = ok(dba,
                "EMERGENCY UNLOCK REALM pii_protection AUTHORIZED BY sec_admin "
                "REASON 'Production outage - INC-1' VALID FOR INTERVAL '1 HOUR'");
  const std::string id = req.rows[0][0];
  auto pending = access(dba, Command::kSelect, "users");
  BOOST_TEST_REQUIRE(!pending.ok());
  BOOST_TEST(pending.error().code.code() == "55000");
  fails(dba, "APPROVE EMERGENCY UNLOCK '" + id + "'", "42501");           // not VAULT_ADMIN
  fails(dba, "REVIEW EMERGENCY UNLOCK '" + id + "' NOTES 'n'", "42501");  // requester
  Session admin = login("sec_admin");
  // A VAULT_ADMIN cannot approve their own request.
  auto own = ok(admin,
                "EMERGENCY UNLOCK REALM pii_protection AUTHORIZED BY admin2 "
                "REASON 'self' VALID FOR '10 minutes'");
  fails(admin, "APPROVE EMERGENCY UNLOCK '" + own.rows[0][0] + "'", "42501");
  fails(admin, "APPROVE EMERGENCY UNLOCK 'em_nope'", "42704");
  fails(admin, "REVIEW EMERGENCY UNLOCK '" + id + "' NOTES 'too early'", "55000");
  ok(admin, "APPROVE EMERGENCY UNLOCK '" + id + "'");
  fails(admin, "APPROVE EMERGENCY UNLOCK '" + id + "'", "55000");
  BOOST_TEST(access(dba, Command::kSelect, "users").ok());
  clock.advance(minutes(61));
  BOOST_TEST(!access(dba, Command::kSelect, "users").ok());
  Session auditor = login("carol");
  ok(auditor, "REVIEW EMERGENCY UNLOCK '" + id + "' NOTES 'disk full; access reviewed'");
  std::size_t critical = 0;
  for (const auto& e : sink.events()) {
    if (e.type == audit::EventType::kEmergencyAccess) {
      critical += e.severity == audit::Severity::kCritical ? 1 : 0;
    }
  }
  BOOST_TEST(critical == 4U);  // two requests, an approval, a review
  Session admin2 = login("admin2");
  ok(admin2, "REJECT EMERGENCY UNLOCK '" + own.rows[0][0] + "'");

  // vault.emergency_unlocks: for AUDIT_VIEWER and VAULT_ADMIN; shows what needs review.
  BOOST_TEST(vault->query_view(dba, "vault.emergency_unlocks").error().code.code() == "42501");
  Session carol = login("carol");
  auto view = vault->query_view(carol, "vault.emergency_unlocks");
  BOOST_TEST_REQUIRE(view.ok());
  BOOST_TEST_REQUIRE(view->rows.size() == 2U);
  const auto& cols = view->columns;
  auto col = [&](std::string_view n) {
    return static_cast<std::size_t>(std::find(cols.begin(), cols.end(), n) - cols.begin());
  };
  BOOST_TEST(view->rows[0][col("request_id")] == id);
  BOOST_TEST(view->rows[0][col("state")] == "approved");
  BOOST_TEST(view->rows[0][col("requester")] == "dba_alice");
  BOOST_TEST(view->rows[0][col("needs_review")] == "false");
  BOOST_TEST(view->rows[0][col("expires_at")] == "2025-10-13T13:00:00Z");
  BOOST_TEST(view->rows[1][col("state")] == "rejected");
  BOOST_TEST(view->rows[1][col("needs_review")] == "true");
  BOOST_TEST(vault->query_view(carol, "vault.nothing").error().code.code() == "42704");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::vault::test
