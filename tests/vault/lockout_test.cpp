// The unlock lockout under concurrency (issue 9 item 8): the attempt is reserved in the policy
// store before the KDF runs, so parallel sessions cannot get more than lockout_failures wrong
// guesses evaluated; successes release their reservation.
#include <boost/test/unit_test.hpp>
#include <latch>
#include <thread>

#include "tests/vault/vault_fixture.h"

namespace dbvault::vault::test {

namespace {

// SQLSTATEs of `statement` run once by each session, all started together.
std::vector<std::string> run_in_parallel(Vault& vault, std::vector<Session>& sessions,
                                         const ast::Statement& statement) {
  std::vector<std::string> codes(sessions.size());
  std::latch start(static_cast<std::ptrdiff_t>(sessions.size()));
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto r = vault.execute(sessions[i], statement);
      codes[i] = r.ok() ? "00000" : std::string(r.error().code.code());
    });
  }
  for (auto& t : threads) t.join();
  return codes;
}

std::size_t count(const std::vector<std::string>& codes, std::string_view code) {
  return static_cast<std::size_t>(std::count(codes.begin(), codes.end(), code));
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(lockout, VaultFixture)

// 32 sessions of one user guess at once, with the real Argon2id cost: exactly
// lockout_failures guesses are evaluated (28P01), every other one is refused before the KDF
// (28000), and the pair is then locked out even for the right password.
BOOST_AUTO_TEST_CASE(parallel_wrong_guesses_evaluate_exactly_the_limit) {
  cast();
  vault.reset();
  Options o = options();
  o.argon2 = crypto::Argon2Params{};  // the default, real cost
  const int limit = o.lockout_failures;
  auto v = Vault::open(std::move(o));
  BOOST_TEST_REQUIRE(v.ok());
  vault = std::move(v).value();
  Session admin = login("sec_admin");
  ok(admin, "CREATE REALM pii REQUIRE VAULT PASSWORD 'the-right-one'");
  std::vector<Session> sessions;
  for (int i = 0; i < 32; ++i) sessions.push_back(login("dba_alice"));
  auto guess = grammar::parse("UNLOCK REALM pii PASSWORD 'a-wrong-guess'");
  BOOST_TEST_REQUIRE(guess.ok());
  const auto codes = run_in_parallel(*vault, sessions, *guess);
  BOOST_TEST(count(codes, "28P01") == static_cast<std::size_t>(limit));
  BOOST_TEST(count(codes, "28000") == 32U - static_cast<std::size_t>(limit));
  fails(sessions[0], "UNLOCK REALM pii PASSWORD 'the-right-one'", "28000");
  std::size_t evaluated = 0, lockouts = 0;
  for (const auto& e : sink.events()) {
    if (e.type != audit::EventType::kVaultUnlockFailed) continue;
    evaluated += e.detail.value("reason", "") == "wrong_password";
    lockouts += e.detail.value("lockout", false);
  }
  BOOST_TEST(evaluated == static_cast<std::size_t>(limit));
  BOOST_TEST(lockouts == 1U);
  // Another user of the same realm is not affected.
  Session bob = login("bob");
  ok(bob, "UNLOCK REALM pii PASSWORD 'the-right-one'");
}

// A successful unlock, by password or by token, releases its reservation: any number of them
// in a row never locks the pair out. Only the realm password itself clears earlier failures:
// a token or a temporary grant must not let its holder reset the count between guesses at
// the realm password.
BOOST_AUTO_TEST_CASE(successes_release_their_reservation) {
  cast();
  Session admin = login("sec_admin");
  ok(admin, "CREATE REALM pii REQUIRE VAULT PASSWORD 'pw'");
  auto g = ok(admin, "GRANT VAULT PASSWORD ON REALM pii TO bob VALID FOR '1 hour'");
  Session dba = login("dba_alice");
  auto u = ok(dba, "UNLOCK REALM pii PASSWORD 'pw'");
  for (int i = 0; i < 12; ++i) {
    Session other = login("dba_alice");
    ok(other, "UNLOCK REALM pii TOKEN '" + u.rows[0][1] + "'");
    ok(other, "UNLOCK REALM pii PASSWORD 'pw'");
  }
  for (int i = 0; i < 4; ++i) fails(dba, "UNLOCK REALM pii PASSWORD 'no'", "28P01");
  ok(dba, "UNLOCK REALM pii PASSWORD 'pw'");  // the realm password clears the four
  for (int i = 0; i < 4; ++i) fails(dba, "UNLOCK REALM pii PASSWORD 'no'", "28P01");
  ok(dba, "UNLOCK REALM pii TOKEN '" + u.rows[0][1] + "'");  // a token clears nothing
  fails(dba, "UNLOCK REALM pii PASSWORD 'no'", "28P01");     // the fifth failure locks
  fails(dba, "UNLOCK REALM pii PASSWORD 'pw'", "28000");
  clock.advance(std::chrono::minutes(16));  // the lockout ends
  ok(dba, "UNLOCK REALM pii PASSWORD 'pw'");
  // Nor does a temporary grant clear its holder's guesses at the realm password.
  Session bob = login("bob");
  for (int i = 0; i < 4; ++i) fails(bob, "UNLOCK REALM pii PASSWORD 'guess'", "28P01");
  ok(bob, "UNLOCK REALM pii PASSWORD '" + g.rows[0][2] + "'");
  fails(bob, "UNLOCK REALM pii PASSWORD 'guess'", "28P01");
  fails(bob, "UNLOCK REALM pii PASSWORD '" + g.rows[0][2] + "'", "28000");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::vault::test
