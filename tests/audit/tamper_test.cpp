// Attacks without the key on the tail of the store (issue 9 items 1 and 2): zeroing the newer
// HEAD slot with the last batch, replaying older HEAD slots, wiping the store. Each must be found
// by verify and refused by the writer; a crash the writer can prove must still reopen.
#include <boost/test/unit_test.hpp>
#include <cstring>

#include "tests/audit/test_util.h"

namespace dbvault::audit {
namespace {

using test::LogFixture;

constexpr std::size_t kSlot = 512;

std::uint64_t slot_counter(const std::vector<std::uint8_t>& head, std::size_t slot) {
  std::uint64_t c = 0;
  std::memcpy(&c, head.data() + slot * kSlot + 8, 8);
  return c;
}

// The slot HEAD reads first (the larger counter).
std::size_t newer_slot(const std::vector<std::uint8_t>& head) {
  return slot_counter(head, 1) > slot_counter(head, 0) ? 1 : 0;
}

// A closed store whose last batch is one append_sync'ed emergency_access record.
struct TailStore : LogFixture {
  TailStore() {
    for (int i = 0; i < 5; ++i)
      BOOST_REQUIRE(log->append_sync(test::sample_event(EventType::kLogin, i)).ok());
    auto seq = log->append_sync(test::sample_event(EventType::kEmergencyAccess));
    BOOST_REQUIRE(seq.ok());
    last_seq = *seq;
    log.reset();
    head_path = tmp.path() / "audit" / "HEAD";
    segment = test::segment_files(tmp.path() / "audit").back();
  }
  VerifyReport verify() const {
    auto reader = LogReader::open(tmp.path() / "audit", test::test_keys());
    BOOST_REQUIRE(reader.ok());
    auto report = (*reader)->verify();
    BOOST_REQUIRE(report.ok());
    return *report;
  }
  // Zeroes the last frame of the segment (segments are pre-filled with zeros).
  void zero_last_frame() {
    auto bytes = test::read_file(segment);
    const auto frames = test::frames_of(bytes);
    BOOST_REQUIRE(!frames.empty());
    BOOST_REQUIRE_EQUAL(frames.back().seq, last_seq);
    std::fill_n(bytes.begin() + static_cast<long>(frames.back().offset), frames.back().size, 0);
    test::write_file(segment, bytes);
  }
  void zero_newer_head_slot() {
    auto head = test::read_file(head_path);
    std::fill_n(head.begin() + static_cast<long>(newer_slot(head) * kSlot), kSlot, 0);
    test::write_file(head_path, head);
  }
  std::uint64_t last_seq = 0;
  std::filesystem::path head_path;
  std::filesystem::path segment;
};

BOOST_AUTO_TEST_SUITE(tamper)

// The reported attack: the newer HEAD slot and the last batch's frames zeroed.
BOOST_AUTO_TEST_CASE(zeroing_the_newer_head_slot_and_the_last_batch_is_found) {
  TailStore s;
  s.zero_newer_head_slot();
  s.zero_last_frame();
  const auto report = s.verify();
  BOOST_TEST(!report.ok);
  BOOST_TEST(report.first_bad_seq == s.last_seq);
  BOOST_TEST_MESSAGE("verify: " << report.problem);
  auto opened = Log::open(s.options(), test::test_keys());
  BOOST_REQUIRE(!opened.ok());
  BOOST_TEST(opened.error().code == sqlstate::kDataCorrupted);
}

// Only the newer slot zeroed, the frames intact: what a crash during the HEAD write leaves.
// The writer proves it (the batch HEAD was about to name is complete) and reopens.
BOOST_AUTO_TEST_CASE(a_torn_head_write_after_a_durable_batch_reopens) {
  TailStore s;
  auto head = test::read_file(s.head_path);
  const std::size_t newer = newer_slot(head);
  head[newer * kSlot + 30] ^= 0x5a;  // a torn slot: its MAC fails
  test::write_file(s.head_path, head);
  BOOST_TEST(s.verify().ok);
  s.reopen();
  BOOST_TEST(s.log->durable_seq() == s.last_seq);
  BOOST_TEST(test::all_records(*s.log).back().seq == s.last_seq);
  BOOST_REQUIRE(s.log->append_sync(test::sample_event(EventType::kLogin)).ok());
  auto v = s.log->verify();
  BOOST_REQUIRE(v.ok());
  BOOST_TEST(v->ok);
}

// The other crash point: the last batch flushed, HEAD not yet written (HEAD one batch behind,
// both slots intact). The frames were never acknowledged; they are kept and HEAD catches up.
BOOST_AUTO_TEST_CASE(a_crash_between_the_segment_flush_and_the_head_write_reopens) {
  LogFixture f;
  for (int i = 0; i < 3; ++i)
    BOOST_REQUIRE(f.log->append_sync(test::sample_event(EventType::kLogin, i)).ok());
  f.log.reset();
  const auto head_path = f.tmp.path() / "audit" / "HEAD";
  const auto before = test::read_file(head_path);
  f.reopen();
  auto last = f.log->append_sync(test::sample_event(EventType::kEmergencyAccess));
  BOOST_REQUIRE(last.ok());
  f.log.reset();
  test::write_file(head_path, before);
  f.reopen();
  BOOST_TEST(f.log->durable_seq() == *last);
  auto v = f.log->verify();
  BOOST_REQUIRE(v.ok());
  BOOST_TEST(v->ok);
  BOOST_TEST(v->head_seq == *last);
}

// Replacing the newer slot by an older copy of itself, or both slots by one that is not their
// neighbour, is found: HEAD slots always hold consecutive counters.
BOOST_AUTO_TEST_CASE(a_head_slot_out_of_sequence_is_found) {
  TailStore s;
  const auto original = test::read_file(s.head_path);
  auto head = original;
  const std::size_t newer = newer_slot(head);
  // Both slots equal to the older one: counters no longer consecutive (equal).
  std::copy_n(original.begin() + static_cast<long>((1 - newer) * kSlot), kSlot,
              head.begin() + static_cast<long>(newer * kSlot));
  test::write_file(s.head_path, head);
  s.zero_last_frame();
  BOOST_TEST(!s.verify().ok);
  BOOST_TEST(!Log::open(s.options(), test::test_keys()).ok());
}

// Item 2: every segment and HEAD removed, the directory kept.
BOOST_AUTO_TEST_CASE(wiping_the_store_is_found) {
  TailStore s;
  for (const auto& seg : test::segment_files(s.tmp.path() / "audit")) std::filesystem::remove(seg);
  std::filesystem::remove(s.head_path);
  const auto report = s.verify();
  BOOST_TEST(!report.ok);
  BOOST_TEST(report.records == 0u);
  BOOST_TEST_MESSAGE("verify: " << report.problem);
  auto opened = Log::open(s.options(), test::test_keys());
  BOOST_REQUIRE(!opened.ok());
  BOOST_TEST(opened.error().code == sqlstate::kDataCorrupted);
}

// HEAD removed, the segments kept: no longer "an empty store".
BOOST_AUTO_TEST_CASE(removing_head_is_found) {
  TailStore s;
  std::filesystem::remove(s.head_path);
  BOOST_TEST(!s.verify().ok);
  BOOST_TEST(!Log::open(s.options(), test::test_keys()).ok());
}

// `dbvault audit recover` opens with accept_unproven_tail: the damage is accepted, but only
// after an audit_anchor record saying so is on the chain.
BOOST_AUTO_TEST_CASE(an_accepted_tail_is_recorded_before_head_is_rewritten) {
  TailStore s;
  s.zero_newer_head_slot();
  s.zero_last_frame();
  LogOptions o = s.options();
  o.accept_unproven_tail = true;
  auto opened = Log::open(o, test::test_keys());
  BOOST_REQUIRE(opened.ok());
  BOOST_REQUIRE((*opened)->accepted_tail().has_value());
  const auto records = test::all_records(**opened);
  BOOST_TEST(records.back().seq == s.last_seq);  // the accept record took the lost seq
  BOOST_TEST(records.back().event.type == EventType::kAuditAnchor);
  BOOST_TEST(records.back().event.detail.value("action", "") == "accept_tail");
  opened->reset();
  BOOST_TEST(s.verify().ok);
  s.reopen();  // an ordinary open again
}

BOOST_AUTO_TEST_CASE(a_second_writer_of_the_same_store_is_refused) {
  LogFixture f;
  auto second = Log::open(f.options(), test::test_keys());
  BOOST_REQUIRE(!second.ok());
  BOOST_TEST(second.error().code == sqlstate::kObjectNotInPrerequisiteState);
}

// A crash while creating a store (HEAD not yet written): created again with create_if_missing,
// refused without it.
BOOST_AUTO_TEST_CASE(a_store_whose_creation_was_cut_short_is_created_again_only_by_init) {
  LogFixture f;
  f.log.reset();
  std::filesystem::remove(f.tmp.path() / "audit" / "HEAD");
  BOOST_TEST(!Log::open(f.options(), test::test_keys()).ok());
  LogOptions o = f.options();
  o.create_if_missing = true;
  auto created = Log::open(o, test::test_keys());
  BOOST_REQUIRE(created.ok());
  BOOST_TEST((*created)->durable_seq() == 1u);
  // Once it holds more than the genesis record, not even create_if_missing recreates it.
  BOOST_REQUIRE((*created)->append_sync(test::sample_event(EventType::kLogin)).ok());
  created->reset();
  std::filesystem::remove(f.tmp.path() / "audit" / "HEAD");
  auto again = Log::open(o, test::test_keys());
  BOOST_REQUIRE(!again.ok());
  BOOST_TEST(again.error().code == sqlstate::kDataCorrupted);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::audit
