// Digests (issue 9 item 3): a digest proves the log still holds every record up to it — good,
// tampered MAC, truncated (rolled back) log, forked log; several digests at once.
#include "audit/digest.h"

#include <boost/test/unit_test.hpp>

#include "tests/audit/test_util.h"

namespace dbvault::audit {
namespace {

using test::LogFixture;

Timestamp at(int minutes) {
  return std::chrono::floor<std::chrono::seconds>(test::test_start()) +
         std::chrono::minutes(minutes);
}

VerifyReport verify_with(const LogFixture& f, std::vector<Digest> digests, int key_variant = 0) {
  auto reader = LogReader::open(f.tmp.path() / "audit", test::test_keys(key_variant));
  BOOST_REQUIRE(reader.ok());
  auto report = (*reader)->verify(VerifyOptions{std::move(digests)});
  BOOST_REQUIRE(report.ok());
  BOOST_TEST_MESSAGE(report->problem);
  return *report;
}

Digest digest_of(const LogFixture& f, int minutes) {
  auto reader = LogReader::open(f.tmp.path() / "audit", test::test_keys());
  BOOST_REQUIRE(reader.ok());
  auto d = (*reader)->digest(at(minutes));
  BOOST_REQUIRE(d.ok());
  return *d;
}

void append_some(Log& log, int n) {
  for (int i = 0; i < n; ++i)
    BOOST_REQUIRE(log.append(test::sample_event(EventType::kDataExport, i)).ok());
  BOOST_REQUIRE(log.flush().ok());
}

BOOST_AUTO_TEST_SUITE(digests)

BOOST_AUTO_TEST_CASE(digests_of_a_growing_log_all_verify_and_round_trip_as_json) {
  LogFixture f;
  append_some(*f.log, 5);
  const Digest d1 = digest_of(f, 1);
  BOOST_TEST(d1.seq == 6u);
  append_some(*f.log, 300);  // several segments
  const Digest d2 = digest_of(f, 2);
  auto parsed = parse_digest(format_digest(d2));
  BOOST_REQUIRE(parsed.ok());
  BOOST_TEST(parsed->seq == d2.seq);
  BOOST_TEST((parsed->hash == d2.hash && parsed->mac == d2.mac && parsed->time == d2.time));
  auto report = verify_with(f, {d1, *parsed});
  BOOST_TEST(report.ok);
  BOOST_TEST(report.digests == 2u);
  BOOST_TEST(!parse_digest("{\"seq\":1}").ok());
  BOOST_TEST(!parse_digest("not json").ok());
}

BOOST_AUTO_TEST_CASE(a_tampered_digest_fails) {
  LogFixture f;
  append_some(*f.log, 5);
  Digest d = digest_of(f, 1);
  d.mac[0] ^= 1;
  auto report = verify_with(f, {d});
  BOOST_TEST(!report.ok);
  BOOST_TEST(report.problem.find("MAC does not match") != std::string::npos);
  d = digest_of(f, 1);
  d.seq -= 1;  // the MAC covers the seq
  BOOST_TEST(!verify_with(f, {d}).ok);
  // A digest made with another data directory's keys.
  BOOST_TEST(!verify_with(f, {digest_of(f, 1)}, 1).ok);
}

BOOST_AUTO_TEST_CASE(a_log_rolled_back_behind_a_digest_fails) {
  LogFixture f;
  append_some(*f.log, 5);
  f.log.reset();
  const auto dir = f.tmp.path() / "audit";
  std::filesystem::copy(dir, f.tmp.path() / "old", std::filesystem::copy_options::recursive);
  f.reopen();
  append_some(*f.log, 5);
  const Digest d = digest_of(f, 1);
  f.log.reset();
  std::filesystem::remove_all(dir);
  std::filesystem::rename(f.tmp.path() / "old", dir);
  BOOST_TEST(verify_with(f, {}).ok);  // consistent on its own
  auto report = verify_with(f, {d});
  BOOST_TEST(!report.ok);
  BOOST_TEST(report.problem.find("log ends at seq 6") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_forked_log_fails) {
  LogFixture f;
  append_some(*f.log, 5);
  const Digest d = digest_of(f, 1);
  // Another store with the same keys and as many records, but other ones: a fork.
  LogFixture fork;
  for (int i = 0; i < 5; ++i)
    BOOST_REQUIRE(fork.log->append(test::sample_event(EventType::kLogin, i)).ok());
  BOOST_REQUIRE(fork.log->flush().ok());
  auto report = verify_with(fork, {d});
  BOOST_TEST(!report.ok);
  BOOST_TEST(report.first_bad_seq == d.seq);
  BOOST_TEST(report.problem.find("another hash") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_broken_log_gets_no_digest) {
  LogFixture f;
  append_some(*f.log, 5);
  f.log.reset();
  const auto seg = test::segment_files(f.tmp.path() / "audit").front();
  auto bytes = test::read_file(seg);
  bytes[test::frames_of(bytes)[2].offset + 40] ^= 1;
  test::write_file(seg, bytes);
  auto reader = LogReader::open(f.tmp.path() / "audit", test::test_keys());
  BOOST_REQUIRE(reader.ok());
  auto d = (*reader)->digest(at(1));
  BOOST_REQUIRE(!d.ok());
  BOOST_TEST(d.error().code == sqlstate::kDataCorrupted);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::audit
