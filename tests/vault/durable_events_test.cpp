// Issue 9 item 4: every record that proves a change or a violation is durable before the
// statement returns, written before the change commits (record, then commit).
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "audit/log.h"
#include "tests/vault/vault_fixture.h"
#include "vault/audit_log_sink.h"

namespace dbvault::vault::test {
namespace {

bool proves_change_or_violation(audit::EventType t) {
  using T = audit::EventType;
  return t == T::kPolicyChanged || t == T::kRealmModified || t == T::kCommandRuleViolation ||
         t == T::kSodViolation || t == T::kVaultUnlock || t == T::kVaultUnlockFailed ||
         t == T::kEmergencyAccess;
}

audit::AuditKeys fixed_audit_keys() {
  crypto::SecretBytes tek(32);
  for (std::size_t i = 0; i < 32; ++i) tek.data()[i] = static_cast<std::uint8_t>(3 * i + 5);
  auto keys = audit::AuditKeys::derive(tek, 1);
  BOOST_TEST_REQUIRE(keys.ok());
  return std::move(*keys);
}

audit::LogOptions log_options(const std::filesystem::path& dir, const Clock& clock) {
  audit::LogOptions o;
  o.dir = dir;
  o.clock = &clock;
  o.segment_bytes = 1 << 20;
  o.create_if_missing = true;
  return o;
}

// The records of the store at `dir` whose realm_modified action is `action`.
std::size_t count_realm_records(const std::filesystem::path& dir, const Clock& clock,
                                std::string_view realm) {
  auto log = audit::Log::open(log_options(dir, clock), fixed_audit_keys());
  BOOST_TEST_REQUIRE(log.ok(), (log.ok() ? "" : log.error().message));
  std::size_t n = 0;
  BOOST_TEST_REQUIRE((*log)
                         ->scan({},
                                [&](const audit::Record& r) {
                                  n += r.event.type == audit::EventType::kRealmModified &&
                                       r.event.realm == realm;
                                  return true;
                                })
                         .ok());
  return n;
}

// Forwards to the audit::Log; with `die_after_change`, the process dies (_exit: no
// destructors, no flush) the moment the record of a realm change returns — before the change
// commits.
struct CrashingSink final : AuditSink {
  AuditSink& inner;
  bool die_after_change;
  CrashingSink(AuditSink& s, bool die) : inner(s), die_after_change(die) {}
  Status record(const audit::Event& e, bool durable) override {
    Status st = inner.record(e, durable);
    if (die_after_change && e.type == audit::EventType::kRealmModified) _exit(st.ok() ? 0 : 20);
    return st;
  }
};

// Runs `sql` as sec_admin in a child process on a real audit::Log (at dir/audit) and Vault,
// which dies right after execute() returns — or, `die_after_change`, inside it, right after the
// change's record. Fails the test unless the child got that far.
void crash_after(VaultFixture& f, std::string_view sql, bool die_after_change) {
  f.vault.reset();  // the child opens the policy store itself
  const pid_t child = fork();
  BOOST_TEST_REQUIRE(child >= 0);
  if (child == 0) {
    auto log = audit::Log::open(log_options(f.dir / "audit", f.clock), fixed_audit_keys());
    if (!log.ok()) _exit(10);
    AuditLogSink log_sink(**log);
    CrashingSink sink(log_sink, die_after_change);
    Options o = f.options();
    o.audit = &sink;
    auto v = Vault::open(std::move(o));
    auto s = v.ok() ? (*v)->login("sec_admin", {}) : Result<Session>(v.error());
    auto st = grammar::parse(sql);
    if (!s.ok() || !st.ok()) _exit(11);
    auto r = (*v)->execute(*s, *st);
    _exit(r.ok() && !die_after_change ? 0 : 12);
  }
  int status = 0;
  BOOST_TEST_REQUIRE(waitpid(child, &status, 0) == child);
  BOOST_TEST_REQUIRE(WIFEXITED(status));
  BOOST_TEST_REQUIRE(WEXITSTATUS(status) == 0);
  f.open();
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(durable_events, VaultFixture)

BOOST_AUTO_TEST_CASE(every_change_and_violation_is_recorded_durably) {
  cast();
  Session admin = login("sec_admin");
  Session bob = login("bob");
  Session dba = login("dba_alice");
  ok(admin, "CREATE REALM pii REQUIRE VAULT PASSWORD 'Realm-Pw-1'");
  ok(admin, "ALTER REALM pii ADD COLUMN users.ssn");
  ok(admin, "ALTER REALM pii AUTHORIZE USER bob");
  fails(bob, "UNLOCK REALM pii PASSWORD 'wrong'", "28P01");
  Session carol = login("carol");
  fails(carol, "UNLOCK REALM pii PASSWORD 'Realm-Pw-1'", "42501");  // not authorized
  ok(bob, "UNLOCK REALM pii PASSWORD 'Realm-Pw-1'");
  ok(admin, "ALTER REALM pii SET VAULT PASSWORD 'Realm-Pw-2'");
  ok(admin, "GRANT VAULT PASSWORD ON REALM pii TO bob VALID FOR INTERVAL '1 hour'");
  ok(admin, "ALTER REALM pii UNAUTHORIZE USER bob");
  ok(admin, "CREATE COMMAND RULE no_psql FOR SELECT ON REALM pii DENY WHEN program_name = 'psql'");
  fails(dba, "CREATE REALM other", "42501");                          // sod_violation
  BOOST_TEST(!access(dba, ast::Command::kSelect, "users.ssn").ok());  // realm violation
  std::size_t checked = 0;
  const auto events = sink.events();
  const auto durable = sink.durable();
  BOOST_TEST_REQUIRE(events.size() == durable.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (!proves_change_or_violation(events[i].type)) continue;
    ++checked;
    BOOST_TEST(durable[i], "event " << i << " (" << audit::event_type_name(events[i].type)
                                    << ") was not recorded durably");
  }
  BOOST_TEST(checked >= 15u);
  BOOST_TEST(count_events(audit::EventType::kSodViolation) >= 1u);
  BOOST_TEST(count_events(audit::EventType::kCommandRuleViolation) >= 1u);
}

// The child makes a change and dies the moment execute() returns. The parent reopens the log:
// the record of the change must be there.
BOOST_AUTO_TEST_CASE(a_change_survives_a_crash_right_after_it) {
  crash_after(*this, "CREATE REALM crash_proof", false);
  BOOST_TEST(count_realm_records(dir / "audit", clock, "crash_proof") == 1u);
  BOOST_TEST(vault->snapshot()->find_realm("crash_proof").has_value());  // committed too
}

// Sharper: the child dies the moment the change's record() returns, before the change
// commits. The record must already be on disk (record, then commit); the change itself is
// lost, which is the order's point.
BOOST_AUTO_TEST_CASE(a_record_is_on_disk_before_its_change_commits) {
  crash_after(*this, "CREATE REALM half_done", true);
  BOOST_TEST(count_realm_records(dir / "audit", clock, "half_done") == 1u);
  BOOST_TEST(!vault->snapshot()->find_realm("half_done").has_value());  // never committed
}

BOOST_AUTO_TEST_CASE(audit_log_sink_writes_durable_records_before_returning) {
  auto log = audit::Log::open(log_options(dir / "audit2", clock), fixed_audit_keys());
  BOOST_TEST_REQUIRE(log.ok());
  AuditLogSink log_sink(**log);
  Session admin = login("sec_admin");
  audit::Event e;
  e.type = audit::EventType::kRealmModified;
  e.user = "sec_admin";
  e.realm = "r1";
  e.detail["action"] = "create";
  BOOST_TEST_REQUIRE(log_sink.record(e, true).ok());
  BOOST_TEST((*log)->durable_seq() >= 1u);  // no flush needed: it is on disk already
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::vault::test
