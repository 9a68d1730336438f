// Retention purge and legal holds: at a simulated clock 7 years + 1 day later exactly the
// 7-year records outside holds go, and the chain still verifies.
#include <boost/test/unit_test.hpp>
#include <set>

#include "tests/audit/test_util.h"

namespace dbvault::audit {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using test::LogFixture;

Timestamp secs(TimePoint t) { return std::chrono::floor<std::chrono::seconds>(t); }

std::set<std::uint64_t> seqs_of(const std::vector<Record>& records) {
  std::set<std::uint64_t> out;
  for (const auto& r : records) out.insert(r.seq);
  return out;
}

BOOST_AUTO_TEST_SUITE(purge)

BOOST_AUTO_TEST_CASE(purge_after_seven_years_removes_exactly_the_unheld_seven_year_records) {
  LogFixture f;
  const Actor carol{"carol", "10.0.0.9", "sess_c"};
  const auto start = test::test_start();
  std::set<std::uint64_t> expired{1}, kept;  // seq 1: the genesis record is a 7-year record too
  for (int i = 0; i < 10; ++i) {
    expired.insert(*f.log->append(test::sample_event(all_event_types()[i % 10], i)));
  }
  for (int i = 0; i < 2; ++i)
    kept.insert(*f.log->append(test::sample_event(EventType::kEmergencyAccess, i)));
  f.clock.advance(hours(1));
  for (int i = 0; i < 5; ++i)
    kept.insert(*f.log->append(test::sample_event(EventType::kDataExport, i)));
  f.clock.advance(hours(1));
  auto hold = f.log->add_hold(
      {"litigation", secs(start) + minutes(30), secs(start) + minutes(90), "case 42"}, carol);
  BOOST_REQUIRE(hold.ok());
  kept.insert(*hold);
  auto other = f.log->add_hold({"closed_case", secs(start), secs(start) + hours(3), "done"}, carol);
  BOOST_REQUIRE(other.ok());
  expired.insert(*other);
  auto dropped = f.log->drop_hold("closed_case", carol);
  BOOST_REQUIRE(dropped.ok());
  expired.insert(*dropped);
  BOOST_TEST(f.log->add_hold({"litigation", secs(start), secs(start), ""}, carol).error().code ==
             sqlstate::kDuplicateObject);
  BOOST_TEST(f.log->drop_hold("nope", carol).error().code == sqlstate::kUndefinedObject);

  // Nothing is eligible one day before the seven years are over.
  f.clock.set(start + std::chrono::years(7) - days(1));
  auto early = f.log->purge(carol);
  BOOST_REQUIRE(early.ok());
  BOOST_TEST(early->purged == 0u);
  kept.insert(early->purge_seq);

  f.clock.set(start + std::chrono::years(7) + days(1));
  auto report = f.log->purge(carol);
  BOOST_REQUIRE_MESSAGE(report.ok(), (report.ok() ? std::string() : report.error().message));
  kept.insert(report->purge_seq);
  BOOST_TEST(report->purged == expired.size());
  const auto after = test::all_records(*f.log);
  BOOST_TEST((seqs_of(after) == kept));
  const auto& purge_record = after.back();
  BOOST_TEST(purge_record.event.type == EventType::kAuditPurge);
  BOOST_TEST(purge_record.event.detail.value("purged", 0) == static_cast<int>(expired.size()));
  BOOST_TEST(purge_record.event.detail.value("holds", "") == "litigation");

  auto v = f.log->verify();
  BOOST_REQUIRE(v.ok());
  BOOST_TEST_MESSAGE(v->problem);
  BOOST_TEST(v->ok);
  BOOST_TEST(v->purged == expired.size());
  BOOST_TEST(v->records == kept.size());

  // After a reopen, more appends, dropping the hold and purging again: still verifies, and the
  // formerly held records are gone while the 10-year ones stay.
  f.reopen();
  BOOST_REQUIRE(f.log->append_sync(test::sample_event(EventType::kLogin)).ok());
  BOOST_TEST(f.log->holds()->size() == 1u);
  BOOST_REQUIRE(f.log->drop_hold("litigation", carol).ok());
  auto second = f.log->purge(carol);
  BOOST_REQUIRE(second.ok());
  BOOST_TEST(second->purged == 5u + 1u);  // the formerly held exports and the hold record
  v = f.log->verify();
  BOOST_REQUIRE(v.ok());
  BOOST_TEST(v->ok);
  std::size_t ten_year = 0;
  for (const auto& r : test::all_records(*f.log)) ten_year += r.retention_class == "10y";
  BOOST_TEST(ten_year == 2u);

  // Ten years + 1 day: the emergency records go too.
  f.clock.set(start + std::chrono::years(10) + days(1));
  auto third = f.log->purge(carol);
  BOOST_REQUIRE(third.ok());
  v = f.log->verify();
  BOOST_REQUIRE(v.ok());
  BOOST_TEST(v->ok);
  for (const auto& r : test::all_records(*f.log)) BOOST_TEST(r.retention_class != "10y");
}

BOOST_AUTO_TEST_CASE(a_forged_checkpoint_is_detected) {
  LogFixture f;
  for (int i = 0; i < 6; ++i)
    BOOST_REQUIRE(f.log->append(test::sample_event(EventType::kLogin, i)).ok());
  f.clock.set(test::test_start() + std::chrono::years(8));
  BOOST_REQUIRE(f.log->purge({"carol", "", ""}).ok());
  f.log.reset();
  const auto seg = f.tmp.path() / "audit" / "seg-00000000000000000001.log";
  auto bytes = test::read_file(seg);
  bytes[64 + 30] ^= 0x40;  // inside the sealed gap frame
  test::write_file(seg, bytes);
  auto reader = LogReader::open(f.tmp.path() / "audit", test::test_keys());
  auto report = (*reader)->verify();
  BOOST_REQUIRE(report.ok());
  BOOST_TEST(!report->ok);
  BOOST_TEST(report->first_bad_seq == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::audit
