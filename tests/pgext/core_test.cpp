// The module's C++ core without PostgreSQL: statement quoting, log redaction, PostgreSQL
// names to vault objects, the interim audit file, and BackendVault end to end on a
// temporary directory (first start bootstraps; a second backend sees the first's change
// only after reload()).
#define BOOST_TEST_MODULE pgext
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "grammar/parser.h"
#include "pgext/audit_queue.h"
#include "pgext/backend_vault.h"
#include "pgext/decision_timing.h"
#include "pgext/redaction.h"
#include "pgext/relation_access.h"
#include "pgext/statements.h"
#include "pgext/test_clock.h"
#include "tests/support/temp_dir.h"

namespace dbvault::pgext {
namespace {

// An audit sink the test can still read after the BackendVault took ownership of it.
class SharedSink final : public vault::AuditSink {
 public:
  explicit SharedSink(std::shared_ptr<vault::MemoryAuditSink> to) : to_(std::move(to)) {}
  Status record(const audit::Event& e, bool durable) override { return to_->record(e, durable); }

 private:
  std::shared_ptr<vault::MemoryAuditSink> to_;
};

BackendOptions options_in(const std::filesystem::path& dir, std::string user,
                          std::shared_ptr<vault::MemoryAuditSink> sink = nullptr) {
  BackendOptions o;
  o.policy_path = dir / "dbvault" / "policy.db";
  o.keys_dir = dir / "dbvault" / "keys";
  o.audit_dir = dir / "dbvault" / "audit";
  o.audit = std::make_unique<SharedSink>(sink ? sink : std::make_shared<vault::MemoryAuditSink>());
  o.master_key_provider = "file";
  o.user = std::move(user);
  o.info.session_id = "test";
  return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(unlock_statement_keeps_any_text_one_token) {
  const SecretString s = unlock_statement("my \"realm\"", "pw' OR 'x", false);
  BOOST_TEST(s.reveal() == R"(UNLOCK REALM "my ""realm""" PASSWORD 'pw'' OR ''x')");
  auto parsed = grammar::parse(s.reveal());
  BOOST_TEST_REQUIRE(parsed.ok());
  const auto* unlock = std::get_if<ast::UnlockRealm>(&parsed->node);
  BOOST_TEST_REQUIRE(unlock != nullptr);
  BOOST_TEST(unlock->realm == "my \"realm\"");
  BOOST_TEST(lock_statement("r") == "LOCK REALM \"r\"");
}

BOOST_AUTO_TEST_CASE(redaction_finds_the_schema_and_drops_literals) {
  BOOST_TEST(mentions_vault("select * from DBVAULT.unlock_realm('r', 'pw')"));
  BOOST_TEST(mentions_vault("select \"dbvault\".execute($$x$$)"));
  BOOST_TEST(!mentions_vault("select 1"));
  const std::string r = redact("statement: SELECT * FROM dbvault.unlock_realm('r', $$pw$$)");
  BOOST_TEST(r.find("pw") == std::string::npos);
  BOOST_TEST(r.find("dbvault.unlock_realm") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_error_never_repeats_a_secret_literal_of_its_statement) {
  const std::string token = "dbvt2.vt_0123.secret-part";
  const std::string statement = "REVOKE VAULT TOKEN '" + token + "'";
  BOOST_TEST(without_literals_of("vault token " + token + " does not exist", statement) ==
             "vault token ? does not exist");
  // '' is one quote; every occurrence goes; short literals and names stay
  BOOST_TEST(without_literals_of("x it''s-a-pw y it's-a-pw",
                                 "ALTER USER u PASSWORD 'it''s-a-pw'") == "x it''s-a-pw y ?");
  BOOST_TEST(without_literals_of("realm r is locked", "UNLOCK REALM r PASSWORD 'short'") ==
             "realm r is locked");
}

BOOST_AUTO_TEST_CASE(the_test_clock_needs_the_environment) {
  ::unsetenv("DBVAULT_ALLOW_TEST_CLOCK");
  BOOST_TEST(make_clock("").ok());
  auto refused = make_clock("/nonexistent/clock");
  BOOST_TEST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.error().code == sqlstate::kSystemError);
  ::setenv("DBVAULT_ALLOW_TEST_CLOCK", "1", 1);
  auto clock = make_clock("/nonexistent/clock");  // unreadable: offset 0
  BOOST_TEST_REQUIRE(clock.ok());
  const auto drift = (*clock)->now() - SystemClock().now();
  BOOST_TEST(std::chrono::abs(drift) < std::chrono::seconds(5));
  ::unsetenv("DBVAULT_ALLOW_TEST_CLOCK");
}

BOOST_AUTO_TEST_CASE(public_is_the_vault_default_schema) {
  BOOST_TEST(vault_schema("public") == "");
  BOOST_TEST(vault_schema("billing") == "billing");
}

BOOST_AUTO_TEST_CASE(backend_vault_bootstraps_checks_and_reloads) {
  test::TempDir dir("pgext-core");
  auto admin = BackendVault::open(options_in(dir.path(), "secadmin"));
  BOOST_TEST_REQUIRE(admin.ok(), (admin.ok() ? "" : admin.error().message));
  auto events = std::make_shared<vault::MemoryAuditSink>();
  auto dba = BackendVault::open(options_in(dir.path(), "dba", events));
  BOOST_TEST_REQUIRE(dba.ok());
  const std::vector<RelationAccess> read{{"public", "users", ast::Command::kSelect, {"ssn"}}};
  BOOST_TEST((*dba)->check(read, "SELECT ssn FROM users").ok());

  BOOST_TEST((*admin)->execute("CREATE REALM pii REQUIRE VAULT PASSWORD 'pw_1'").ok());
  BOOST_TEST((*admin)->execute("ALTER REALM pii ADD TABLE users").ok());
  // The dba backend still has its old snapshot until it reloads (the edge reloads when the
  // shared policy version moved).
  BOOST_TEST((*dba)->check(read, "SELECT ssn FROM users").ok());
  BOOST_TEST((*dba)->reload().ok());
  const Status denied = (*dba)->check(read, "SELECT ssn FROM users WHERE id = 42");
  BOOST_TEST_REQUIRE(!denied.ok());
  BOOST_TEST(denied.error().code == sqlstate::kInsufficientPrivilege);

  auto unlock = (*dba)->execute("UNLOCK REALM pii PASSWORD 'pw_1'");
  BOOST_TEST_REQUIRE(unlock.ok());
  BOOST_TEST((*dba)->check(read, "SELECT ssn FROM users").ok());
  // A DBA cannot create realms (separation of duties), whatever host runs the vault.
  BOOST_TEST((*dba)->execute("CREATE REALM mine").error().code == sqlstate::kInsufficientPrivilege);

  bool denial_recorded = false;
  for (const auto& e : events->events()) {
    const std::string line = encode_event(audit::normalise_event(e));
    denial_recorded |= e.type == audit::EventType::kCommandRuleViolation;
    BOOST_TEST(line.find("pw_1") == std::string::npos);
    BOOST_TEST(line.find("id = 42") == std::string::npos);  // literals replaced by '?'
  }
  BOOST_TEST(denial_recorded);
}

BOOST_AUTO_TEST_CASE(unknown_role_gets_a_session_no_realm_admits) {
  test::TempDir dir("pgext-core");
  auto admin = BackendVault::open(options_in(dir.path(), "secadmin"));
  BOOST_TEST_REQUIRE(admin.ok());
  BOOST_TEST((*admin)->execute("CREATE REALM pii").ok());
  BOOST_TEST((*admin)->execute("ALTER REALM pii ADD TABLE users").ok());
  auto app = BackendVault::open(options_in(dir.path(), "app"));
  BOOST_TEST_REQUIRE(app.ok());
  BOOST_TEST((*app)->session().user_id() == 0u);
  const std::vector<RelationAccess> users{{"public", "users", ast::Command::kSelect, {}}};
  const std::vector<RelationAccess> orders{{"public", "orders", ast::Command::kSelect, {}}};
  BOOST_TEST(!(*app)->check(users, "").ok());
  BOOST_TEST((*app)->check(orders, "").ok());  // PostgreSQL's ACL decides on it
}

BOOST_AUTO_TEST_CASE(fails_closed_without_its_master_key) {
  test::TempDir dir("pgext-core");
  BOOST_TEST_REQUIRE(BackendVault::open(options_in(dir.path(), "dba")).ok());
  std::filesystem::remove(dir.path() / "dbvault" / "keys" / "master.key");
  auto o = options_in(dir.path(), "dba");
  o.master_key_provider = "env";  // and no DBVAULT_MASTER_KEY_HEX in the environment
  auto bv = BackendVault::open(std::move(o));
  BOOST_TEST_REQUIRE(!bv.ok());
  BOOST_TEST(bv.error().code == sqlstate::kSystemError);
}

BOOST_AUTO_TEST_CASE(queued_events_round_trip) {
  audit::Event e;
  e.type = audit::EventType::kVaultUnlock;
  e.user = "dba";
  e.realm = "pii";
  e.vault_password_id = "realm_password";
  e.expires_at = audit::Timestamp(std::chrono::seconds(1'800'000'000));
  e.detail["token_id"] = "vt_1";
  auto back = decode_event(encode_event(e));
  BOOST_TEST_REQUIRE(back.ok());
  BOOST_TEST((*back == e));
  BOOST_TEST(!decode_event("{\"type\": 1}").ok());
}

// The queue in ordinary memory, drained by a thread standing in for the audit worker.
struct QueueFixture {
  std::vector<std::max_align_t> memory{AuditQueue::shared_size() / sizeof(std::max_align_t) + 1};
  AuditQueue queue{memory.data()};
  QueueFixture() { AuditQueue::format(memory.data()); }
};

BOOST_FIXTURE_TEST_CASE(durable_push_waits_for_the_worker, QueueFixture) {
  queue.set_running(true);
  std::vector<std::string> stored;
  std::atomic<bool> stop{false};
  std::thread worker([&] {
    while (!stop) {
      (void)queue.drain([&](std::string_view p, bool) -> Status {
        stored.emplace_back(p);
        return ok_status();
      });
      std::this_thread::yield();
    }
  });
  for (int i = 0; i < 3 * static_cast<int>(AuditQueue::kSlots); ++i) {  // laps the ring
    BOOST_REQUIRE(
        queue.push("e" + std::to_string(i), i % 7 == 0, std::chrono::seconds(10), [] {}).ok());
  }
  BOOST_TEST(queue.push("last", true, std::chrono::seconds(10), [] {}).ok());
  stop = true;
  worker.join();
  BOOST_TEST_REQUIRE(stored.size() == 3 * AuditQueue::kSlots + 1);
  BOOST_TEST(stored.front() == "e0");
  BOOST_TEST(stored.back() == "last");
}

BOOST_FIXTURE_TEST_CASE(no_worker_or_a_failed_one_is_58000, QueueFixture) {
  const Status none = queue.push("x", false, std::chrono::milliseconds(20), [] {});
  BOOST_TEST_REQUIRE(!none.ok());
  BOOST_TEST(none.error().code == sqlstate::kSystemError);
  queue.set_running(true);
  BOOST_TEST(queue.push("y", true, std::chrono::milliseconds(5), [] {}).error().code ==
             sqlstate::kSystemError);  // running, but nobody acknowledges
  const Status failed = queue.drain([](std::string_view, bool) -> Status {
    return make_error(sqlstate::kSystemError, "disk full");
  });
  BOOST_TEST(!failed.ok());
  BOOST_TEST(
      queue.push("z", false, std::chrono::seconds(10), [] {}).error().message.find("failed") !=
      std::string::npos);
  BOOST_TEST(queue
                 .push(std::string(AuditQueue::kPayloadBytes + 1, 'x'), false,
                       std::chrono::seconds(1), [] {})
                 .error()
                 .code == sqlstate::kInvalidParameterValue);
}

// Only a policy change moves the shared version (module.h): UNLOCK and LOCK keep their
// state outside the snapshot, and a refused statement committed nothing.
BOOST_AUTO_TEST_CASE(only_a_policy_change_moves_the_policy) {
  test::TempDir dir("pgext-core");
  auto admin = BackendVault::open(options_in(dir.path(), "secadmin"));
  BOOST_TEST_REQUIRE(admin.ok());
  auto dba = BackendVault::open(options_in(dir.path(), "dba"));
  BOOST_TEST_REQUIRE(dba.ok());
  BackendVault::PolicyMove move;
  BOOST_TEST((*admin)->execute("CREATE REALM pii REQUIRE VAULT PASSWORD 'pw_1'", &move).ok());
  BOOST_TEST(move.moved);
  BOOST_TEST(move.own_current);
  BOOST_TEST((*dba)->reload().ok());
  BOOST_TEST((*dba)->execute("UNLOCK REALM pii PASSWORD 'pw_1'", &move).ok());
  BOOST_TEST(!move.moved);
  BOOST_TEST((*dba)->execute("LOCK REALM pii", &move).ok());
  BOOST_TEST(!move.moved);
  BOOST_TEST(!(*dba)->execute("UNLOCK REALM pii PASSWORD 'wrong'", &move).ok());
  BOOST_TEST(!move.moved);
  BOOST_TEST(!(*admin)->execute("CREATE REALM pii", &move).ok());
  BOOST_TEST(!move.moved);
  BOOST_TEST(!(*admin)->execute("CREATE REALM", &move).ok());  // a syntax error
  BOOST_TEST(!move.moved);
}

// dbvault.decision_timing's exit line: the totals, and an application_name that cannot shape
// the log line (no spaces, no '=', no newline: the benchmarks parse it).
BOOST_AUTO_TEST_CASE(decision_timing_line_adds_up_and_keeps_its_shape) {
  DecisionTiming t;
  t.decisions.add(300);
  t.decisions.add(500);
  t.version_checks.add(20);
  t.clock_ns = 18;
  BOOST_TEST(t.decisions.count == 2u);
  BOOST_TEST(t.decisions.total_ns == 800u);
  BOOST_TEST(t.decisions.max_ns == 500u);
  BOOST_TEST(format_timing(t, "pgbench") ==
             "dbvault decision_timing application=pgbench decisions=2 decision_ns=800 "
             "decision_max_ns=500 version_checks=1 version_ns=20 reloads=0 reload_ns=0 "
             "reload_max_ns=0 clock_ns=18");
  const std::string forged = format_timing(t, "x decisions=9\nLOG: y");
  BOOST_TEST(forged.find("application=x_decisions_9_LOG__y decisions=2 ") != std::string::npos);
  BOOST_TEST(format_timing(t, "").find("application=- ") != std::string::npos);
  BOOST_TEST(format_timing(t, std::string(200, 'a').c_str()).find(std::string(65, 'a')) ==
             std::string::npos);
  BOOST_TEST(measure_clock_ns() < 1000000u);  // a clock read is not a millisecond
}

}  // namespace dbvault::pgext
