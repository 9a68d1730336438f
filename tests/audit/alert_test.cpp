// Alerts: CRITICAL records and lockouts (WARNING records, as the vault writes them) reach the
// alert sink once durable; ordinary records do not; a broken chain found by verify() does.
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/audit/test_util.h"

namespace dbvault::audit {
namespace {

// A Log whose alerts go to a real JsonlAlertSink in the fixture's directory.
struct AlertedLog : test::LogFixture {
  AlertedLog() {
    log.reset();
    auto opened = Log::open(alerted_options(), test::test_keys());
    BOOST_REQUIRE(opened.ok());
    log = std::move(*opened);
  }
  LogOptions alerted_options() const {
    LogOptions o = options();
    o.alerts = std::make_shared<JsonlAlertSink>(tmp.path() / "alerts.jsonl");
    return o;
  }
  // The alert lines so far. Closes the log first: alerts are delivered by the writer thread
  // after the batch is acknowledged, so only a closed log has delivered all of them.
  std::vector<nlohmann::json> delivered() {
    log.reset();
    std::vector<nlohmann::json> out;
    std::ifstream in(tmp.path() / "alerts.jsonl");
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }
};

// A failed unlock as vault/exec_unlock.cpp records it.
Event failed_unlock(const std::string& user, int attempts, bool lockout) {
  Event e;
  e.type = EventType::kVaultUnlockFailed;
  e.severity = Severity::kWarning;
  e.user = user;
  e.realm = "pii_protection";
  e.result = Outcome::kFailure;
  e.detail = {{"reason", "wrong_password"}, {"attempts", attempts}, {"lockout", lockout}};
  return e;
}

BOOST_AUTO_TEST_SUITE(alerts)

BOOST_AUTO_TEST_CASE(critical_records_and_warning_lockouts_reach_the_sink) {
  AlertedLog f;
  for (int i = 1; i <= 4; ++i)
    BOOST_REQUIRE(f.log->append(failed_unlock("mallory", i, false)).ok());
  const auto lockout = f.log->append_sync(failed_unlock("mallory", 5, true));  // seq 6 (1: genesis)
  BOOST_REQUIRE(lockout.ok());
  // A refusal during the lockout (as the vault writes it) is not alerted again: otherwise
  // anyone could flood the alert sink with cheap refused attempts.
  Event refused = failed_unlock("mallory", 0, false);
  refused.result = Outcome::kDenied;
  refused.detail = {{"reason", "locked_out"}};
  BOOST_REQUIRE(f.log->append(refused).ok());                                          // seq 7
  BOOST_REQUIRE(f.log->append(test::sample_event(EventType::kLogin)).ok());            // 8
  BOOST_REQUIRE(f.log->append(test::sample_event(EventType::kEmergencyAccess)).ok());  // 9
  Event marked = test::sample_event(EventType::kDataExport);
  marked.severity = Severity::kCritical;
  BOOST_REQUIRE(f.log->append(marked).ok());  // 10
  Event login_lockout = test::sample_event(EventType::kLoginFailed);
  login_lockout.detail = {{"auth_method", "scram-sha-256"}, {"lockout", true}};
  BOOST_REQUIRE(f.log->append(login_lockout).ok());  // 11
  Event not_a_lockout = test::sample_event(EventType::kLoginFailed);
  not_a_lockout.detail = {{"lockout", "true"}};      // a string is not the flag
  BOOST_REQUIRE(f.log->append(not_a_lockout).ok());  // 12
  BOOST_REQUIRE(f.log->flush().ok());

  const auto alerts = f.delivered();
  std::vector<std::uint64_t> seqs;
  for (const auto& a : alerts) {
    BOOST_TEST(a["kind"] == "audit_event");
    seqs.push_back(a["record"]["seq"].get<std::uint64_t>());
  }
  BOOST_TEST(seqs == (std::vector<std::uint64_t>{6, 9, 10, 11}), boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(alerts.size(), 4u);
  // The lockout stays a WARNING record (issue 4) and is still alerted, recognisably.
  BOOST_TEST(alerts[0]["record"]["severity"] == "WARNING");
  BOOST_TEST(alerts[0]["record"]["detail"]["lockout"] == true);
  BOOST_TEST(alerts[0]["message"] == "vault_unlock_failed (lockout) seq 6");
  BOOST_TEST(alerts[1]["record"]["severity"] == "CRITICAL");
  BOOST_TEST(alerts[1]["message"] == "emergency_access seq 9");
  // What was alerted is what is stored.
  f.reopen();
  const auto records = test::all_records(*f.log);
  BOOST_REQUIRE_EQUAL(records.size(), 12u);
  BOOST_TEST((records[5].event.severity == Severity::kWarning));
  BOOST_TEST(export_json(records[5]) == alerts[0]["record"].dump());
}

BOOST_AUTO_TEST_CASE(a_broken_chain_found_by_verify_is_alerted) {
  AlertedLog f;
  for (int i = 0; i < 400; ++i) {
    BOOST_REQUIRE(f.log->append(test::sample_event(EventType::kDataExport, i)).ok());
  }
  BOOST_REQUIRE(f.log->flush().ok());
  BOOST_TEST(f.delivered().empty());
  // Damage the first segment (recovery only scans the last one, so the log still opens).
  const auto first = f.tmp.path() / "audit" / "seg-00000000000000000001.log";
  auto bytes = test::read_file(first);
  bytes[64 + 40] ^= 0x01;
  test::write_file(first, bytes);
  auto opened = Log::open(f.alerted_options(), test::test_keys());
  BOOST_REQUIRE(opened.ok());
  f.log = std::move(*opened);
  auto report = f.log->verify();
  BOOST_REQUIRE(report.ok());
  BOOST_TEST(!report->ok);
  BOOST_TEST(report->first_bad_seq == 1u);
  const auto alerts = f.delivered();
  BOOST_REQUIRE_EQUAL(alerts.size(), 1u);
  BOOST_TEST(alerts[0]["kind"] == "audit_verify_failed");
  BOOST_TEST(alerts[0]["message"].get<std::string>().starts_with("audit chain broken at seq 1"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::audit
