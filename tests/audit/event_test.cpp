// The event model: canonical JSON, round trips of every type, validation, literal stripping,
// retention classes.
#include <boost/test/unit_test.hpp>

#include "audit/query_normalizer.h"
#include "audit/retention.h"
#include "tests/audit/test_util.h"

namespace dbvault::audit {
namespace {

using test::LogFixture;
using test::sample_event;

BOOST_AUTO_TEST_SUITE(event_model)

BOOST_AUTO_TEST_CASE(canonical_json_is_sorted_compact_and_reparses_identically) {
  Record r;
  r.seq = 7;
  r.event_id = "evt_2025_10_11_7";
  r.timestamp = std::chrono::floor<std::chrono::seconds>(test::test_start());
  r.event = normalise_event(sample_event(EventType::kVaultUnlock, 1));
  r.retention_class = "7y";
  r.retain_until = r.timestamp + std::chrono::hours(24 * 365 * 7);
  r.hash[0] = 0xab;
  const std::string json = canonical_json(r);
  BOOST_TEST(json.find(' ') == std::string::npos);
  BOOST_TEST(json.find("\"hash\"") == std::string::npos);
  BOOST_TEST(json.starts_with(
      "{\"detail\":{},\"event_id\":\"evt_2025_10_11_7\",\"event_type\":\"vault_unlock\""));
  BOOST_TEST(json.find("\"timestamp\":\"2025-10-11T04:30:00Z\"") != std::string::npos);
  auto parsed = parse_record_json(json);
  BOOST_REQUIRE(parsed.ok());
  BOOST_TEST(canonical_json(*parsed) == json);
  auto exported = parse_record_json(export_json(r));
  BOOST_REQUIRE(exported.ok());
  BOOST_TEST((*exported == r));
}

BOOST_AUTO_TEST_CASE(every_event_type_round_trips_through_the_log) {
  LogFixture f;
  std::vector<Event> appended;
  for (EventType type : all_event_types()) {
    if (type == EventType::kAuditHold || type == EventType::kAuditPurge ||
        type == EventType::kAuditAnchor) {
      continue;  // written by the log only (the genesis record is the audit_anchor)
    }
    Event e = sample_event(type, static_cast<int>(appended.size()));
    auto seq = f.log->append_sync(e);
    BOOST_REQUIRE_MESSAGE(seq.ok(), (seq.ok() ? std::string() : seq.error().message));
    appended.push_back(normalise_event(e));
  }
  HoldSpec hold{
      "litigation_1", std::chrono::floor<std::chrono::seconds>(test::test_start()),
      std::chrono::floor<std::chrono::seconds>(test::test_start()) + std::chrono::hours(24),
      "case 42"};
  BOOST_REQUIRE(f.log->add_hold(hold, Actor{"carol", "10.0.0.9", "sess_c"}).ok());
  BOOST_REQUIRE(f.log->purge(Actor{"carol", "", ""}).ok());
  f.reopen();
  auto records = test::all_records(*f.log);
  BOOST_REQUIRE_EQUAL(records.size(), appended.size() + 3);
  BOOST_TEST(records.front().event.type == EventType::kAuditAnchor);  // genesis
  std::set<EventType> seen{records.front().event.type};
  records.erase(records.begin());
  for (std::size_t i = 0; i < appended.size(); ++i) {
    BOOST_TEST_CONTEXT("type " << event_type_name(appended[i].type)) {
      BOOST_TEST((records[i].event == appended[i]));
      BOOST_TEST(records[i].seq == i + 2);
      BOOST_TEST(records[i].retention_class ==
                 (appended[i].type == EventType::kEmergencyAccess ? "10y" : "7y"));
    }
  }
  BOOST_TEST(records[appended.size()].event.type == EventType::kAuditHold);
  BOOST_TEST(records[appended.size()].event.detail.value("hold", "") == "litigation_1");
  BOOST_TEST(records[appended.size() + 1].event.type == EventType::kAuditPurge);
  BOOST_TEST(records[appended.size() + 1].event.detail.value("purged", -1) == 0);
  for (const auto& r : records) seen.insert(r.event.type);
  BOOST_TEST(seen.size() == all_event_types().size());
}

BOOST_AUTO_TEST_CASE(events_naming_secrets_or_reserved_types_are_refused) {
  LogFixture f;
  for (const char* key : {"password", "vault_password", "token", "key", "tek", "secret_answer",
                          "session_key", "value", "plaintext"}) {
    Event e = sample_event(EventType::kLogin);
    e.detail[key] = "x";
    auto r = f.log->append(e);
    BOOST_TEST_CONTEXT(key) {
      BOOST_REQUIRE(!r.ok());
      BOOST_TEST(r.error().code == sqlstate::kInvalidParameterValue);
    }
  }
  Event ok = sample_event(EventType::kKeyAccess);
  ok.detail["token_id"] = "tok_1";
  BOOST_TEST(f.log->append(ok).ok());
  BOOST_TEST(!f.log->append(sample_event(EventType::kAuditPurge)).ok());
  BOOST_TEST(!f.log->append_sync(sample_event(EventType::kAuditHold)).ok());
  Event emergency = sample_event(EventType::kEmergencyAccess);
  emergency.detail["stage"] = "whatever";
  BOOST_TEST(!f.log->append(emergency).ok());
  Event nested = sample_event(EventType::kLogin);
  nested.detail["obj"] = {{"a", 1}};
  BOOST_TEST(!f.log->append(nested).ok());
}

BOOST_AUTO_TEST_CASE(query_text_keeps_its_shape_without_literals) {
  BOOST_TEST(strip_literals("UNLOCK REALM pii PASSWORD 'vault_secret_2025'") ==
             "UNLOCK REALM pii PASSWORD ?");
  BOOST_TEST(strip_literals("SELECT * FROM users WHERE ssn = '123-45-6789' AND id=12345") ==
             "SELECT * FROM users WHERE ssn = ? AND id=?");
  BOOST_TEST(strip_literals("select t1.c2 from t1 -- secret comment\n where x > 1.5e3") ==
             "select t1.c2 from t1 where x > ?");
  BOOST_TEST(strip_literals("SELECT $1, $$dollar 'quoted'$$, $tag$x$tag$, E'a\\'b', X'ff'") ==
             "SELECT $1, ?, ?, ?, ?");
  BOOST_TEST(strip_literals("SELECT \"Weird'Name\" /* a /* nested */ comment */ FROM t") ==
             "SELECT \"Weird'Name\" FROM t");
  BOOST_TEST(strip_literals("SELECT 'it''s' || 'unterminated") == "SELECT ? || ?");
  Event e = sample_event(EventType::kCommandRuleViolation);
  e.detail["query"] = "UPDATE users SET ssn = '987-65-4321' WHERE id = 7";
  BOOST_TEST(normalise_event(e).detail["query"] == "UPDATE users SET ssn = ? WHERE id = ?");
}

BOOST_AUTO_TEST_CASE(retention_classes_are_data_and_only_lengthen) {
  RetentionPolicy defaults;
  BOOST_TEST(defaults.class_name(EventType::kLogin) == "7y");
  BOOST_TEST(defaults.class_name(EventType::kEmergencyAccess) == "10y");
  auto longer = RetentionPolicy::with_overrides({{EventType::kDataExport, 12}});
  BOOST_REQUIRE(longer.ok());
  BOOST_TEST(longer->class_name(EventType::kDataExport) == "12y");
  auto shorter = RetentionPolicy::with_overrides({{EventType::kEmergencyAccess, 7}});
  BOOST_REQUIRE(!shorter.ok());
  BOOST_TEST(shorter.error().code == sqlstate::kInvalidParameterValue);
  const auto t = *parse_time("2024-02-29T10:00:00Z");
  BOOST_TEST(format_time(defaults.retain_until(EventType::kLogin, t)) == "2031-03-01T10:00:00Z");
  BOOST_TEST(format_time(defaults.retain_until(EventType::kEmergencyAccess, t)) ==
             "2034-03-01T10:00:00Z");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::audit
