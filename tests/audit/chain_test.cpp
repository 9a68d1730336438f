// Integrity: the chain verifies, and every kind of tampering with the stored files is found by
// verify() at the right seq.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstring>
#include <fstream>

#include "tests/audit/test_util.h"

namespace dbvault::audit {
namespace {

using test::LogFixture;

std::filesystem::path only_segment(const LogFixture& f) {
  std::vector<std::filesystem::path> segs;
  for (const auto& e : std::filesystem::directory_iterator(f.tmp.path() / "audit")) {
    if (e.path().filename().string().starts_with("seg-")) segs.push_back(e.path());
  }
  BOOST_REQUIRE_EQUAL(segs.size(), 1u);
  return segs[0];
}

// A store of `n` records, closed (the files are then attacked).
struct ClosedStore : LogFixture {
  explicit ClosedStore(int n = 12) {
    for (int i = 0; i < n; ++i) {
      BOOST_REQUIRE(log->append(test::sample_event(all_event_types()[i % 10], i)).ok());
    }
    BOOST_REQUIRE(log->flush().ok());
    log.reset();
    segment = only_segment(*this);
    original = test::read_file(segment);
    frames = test::frames_of(original);
    // The genesis record (seq 1) first, then the n records (seqs 2..n+1).
    BOOST_REQUIRE_EQUAL(frames.size(), static_cast<std::size_t>(n) + 1);
  }
  VerifyReport verify() const {
    auto reader = LogReader::open(tmp.path() / "audit", test::test_keys());
    BOOST_REQUIRE(reader.ok());
    auto report = (*reader)->verify();
    BOOST_REQUIRE_MESSAGE(report.ok(), (report.ok() ? std::string() : report.error().message));
    return *report;
  }
  std::filesystem::path segment;
  std::vector<std::uint8_t> original;
  std::vector<test::FrameLoc> frames;
};

BOOST_AUTO_TEST_SUITE(chain)

BOOST_AUTO_TEST_CASE(an_untouched_chain_verifies_and_links) {
  ClosedStore s(40);
  const auto report = s.verify();
  BOOST_TEST(report.ok);
  BOOST_TEST(report.records == 41u);
  BOOST_TEST(report.last_seq == 41u);
  BOOST_TEST(report.head_seq == 41u);
  s.reopen();
  const auto records = test::all_records(*s.log);
  BOOST_REQUIRE_EQUAL(records.size(), 41u);
  BOOST_TEST((records[0].prev_hash == ChainHash{}));
  for (std::size_t i = 1; i < records.size(); ++i)
    BOOST_TEST((records[i].prev_hash == records[i - 1].hash));
  // Appends after a reopen continue the chain.
  BOOST_REQUIRE(s.log->append_sync(test::sample_event(EventType::kLogin)).ok());
  auto v = s.log->verify();
  BOOST_REQUIRE(v.ok());
  BOOST_TEST(v->ok);
  BOOST_TEST(v->records == 42u);
}

BOOST_AUTO_TEST_CASE(the_wrong_key_reads_nothing) {
  ClosedStore s(3);
  auto reader = LogReader::open(s.tmp.path() / "audit", test::test_keys(1));
  BOOST_REQUIRE(reader.ok());
  auto report = (*reader)->verify();
  BOOST_REQUIRE(report.ok());
  BOOST_TEST(!report->ok);
  BOOST_TEST(report->first_bad_seq == 1u);
}

BOOST_AUTO_TEST_CASE(flipping_any_byte_of_a_record_is_found_at_its_seq) {
  ClosedStore s;
  for (const auto& frame : s.frames) {
    // Header bytes, first/last payload bytes and a middle byte of every record.
    for (std::size_t at : {std::size_t{0}, std::size_t{4}, std::size_t{9}, std::size_t{17},
                           std::size_t{24}, frame.size / 2, frame.size - 1}) {
      auto bytes = s.original;
      bytes[frame.offset + at] ^= 0x01;
      test::write_file(s.segment, bytes);
      const auto report = s.verify();
      BOOST_TEST_CONTEXT("seq " << frame.seq << " byte " << at) {
        BOOST_TEST(!report.ok);
        BOOST_TEST(report.first_bad_seq == frame.seq);
      }
    }
  }
  test::write_file(s.segment, s.original);
  BOOST_TEST(s.verify().ok);
}

// The sampled positions above cover every record; here every byte of two whole frames (one in
// the middle, and the last, which only HEAD follows) is flipped in turn.
BOOST_AUTO_TEST_CASE(flipping_every_byte_of_a_frame_is_found_at_its_seq) {
  ClosedStore s;
  for (const auto& frame : {s.frames[s.frames.size() / 2], s.frames.back()}) {
    std::size_t missed = 0;
    for (std::size_t at = 0; at < frame.size; ++at) {
      // In place (a truncating rewrite makes ext4 flush on close: seconds for this loop).
      const auto pos = static_cast<std::streamoff>(frame.offset + at);
      std::fstream file(s.segment, std::ios::in | std::ios::out | std::ios::binary);
      file.seekp(pos).put(static_cast<char>(s.original[frame.offset + at] ^ 0x80)).flush();
      const auto report = s.verify();
      file.seekp(pos).put(static_cast<char>(s.original[frame.offset + at])).flush();
      if (report.ok || report.first_bad_seq != frame.seq) {
        ++missed;
        BOOST_TEST_MESSAGE("seq " << frame.seq << " byte " << at << " not found");
      }
    }
    BOOST_TEST_CONTEXT("seq " << frame.seq << ", " << frame.size << " bytes") {
      BOOST_TEST(missed == 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(deleting_a_record_is_found_at_its_seq) {
  ClosedStore s;
  for (std::size_t victim : {std::size_t{0}, std::size_t{5}, s.frames.size() - 1}) {
    auto bytes = s.original;
    const auto& f = s.frames[victim];
    bytes.erase(bytes.begin() + static_cast<long>(f.offset),
                bytes.begin() + static_cast<long>(f.offset + f.size));
    bytes.resize(s.original.size(), 0);
    test::write_file(s.segment, bytes);
    const auto report = s.verify();
    BOOST_TEST_CONTEXT("deleted seq " << f.seq) {
      BOOST_TEST(!report.ok);
      BOOST_TEST(report.first_bad_seq == f.seq);
    }
  }
}

BOOST_AUTO_TEST_CASE(reordering_two_records_is_found_at_the_first) {
  ClosedStore s;
  const auto& a = s.frames[3];
  const auto& b = s.frames[4];
  std::vector<std::uint8_t> bytes(s.original.begin(),
                                  s.original.begin() + static_cast<long>(a.offset));
  bytes.insert(bytes.end(), s.original.begin() + static_cast<long>(b.offset),
               s.original.begin() + static_cast<long>(b.offset + b.size));
  bytes.insert(bytes.end(), s.original.begin() + static_cast<long>(a.offset),
               s.original.begin() + static_cast<long>(a.offset + a.size));
  bytes.insert(bytes.end(), s.original.begin() + static_cast<long>(b.offset + b.size),
               s.original.end());
  test::write_file(s.segment, bytes);
  const auto report = s.verify();
  BOOST_TEST(!report.ok);
  BOOST_TEST(report.first_bad_seq == a.seq);
}

BOOST_AUTO_TEST_CASE(truncating_the_store_is_found) {
  ClosedStore s;
  const auto& last = s.frames.back();
  // At a frame boundary: only HEAD knows the record existed.
  std::filesystem::resize_file(s.segment, last.offset);
  auto report = s.verify();
  BOOST_TEST(!report.ok);
  BOOST_TEST(report.first_bad_seq == last.seq);
  // In the middle of a frame.
  test::write_file(s.segment, s.original);
  std::filesystem::resize_file(s.segment, s.frames[7].offset + 30);
  report = s.verify();
  BOOST_TEST(!report.ok);
  BOOST_TEST(report.first_bad_seq == s.frames[7].seq);
  // A truncated store refuses to open for writing (fail closed).
  auto opened = Log::open(s.options(), test::test_keys());
  BOOST_REQUIRE(!opened.ok());
  BOOST_TEST(opened.error().code == sqlstate::kDataCorrupted);
  // Removing the segment altogether.
  std::filesystem::remove(s.segment);
  report = s.verify();
  BOOST_TEST(!report.ok);
  BOOST_TEST(report.first_bad_seq == 1u);
}

// Truncation of a store of several segments: the last segment file removed, or cut back to its
// header. HEAD still names the last seq, so verify reports the segment's first seq and the log
// refuses to open for writing.
BOOST_AUTO_TEST_CASE(truncating_a_store_of_several_segments_is_found) {
  LogFixture f;
  for (int i = 0; i < 400; ++i)
    BOOST_REQUIRE(f.log->append(test::sample_event(EventType::kDataExport, i)).ok());
  BOOST_REQUIRE(f.log->flush().ok());
  f.log.reset();
  std::vector<std::filesystem::path> segs;
  for (const auto& e : std::filesystem::directory_iterator(f.tmp.path() / "audit")) {
    if (e.path().filename().string().starts_with("seg-")) segs.push_back(e.path());
  }
  std::sort(segs.begin(), segs.end());
  BOOST_REQUIRE_GE(segs.size(), 2u);
  const auto last = segs.back();
  const std::uint64_t first_of_last = std::stoull(last.filename().string().substr(4, 20));
  const auto original = test::read_file(last);
  auto verify = [&] {
    auto reader = LogReader::open(f.tmp.path() / "audit", test::test_keys());
    BOOST_REQUIRE(reader.ok());
    auto report = (*reader)->verify();
    BOOST_REQUIRE(report.ok());
    return *report;
  };
  std::filesystem::remove(last);
  auto report = verify();
  BOOST_TEST(!report.ok);
  BOOST_TEST(report.first_bad_seq == first_of_last);
  BOOST_TEST(!Log::open(f.options(), test::test_keys()).ok());
  std::vector<std::uint8_t> header_only(original.begin(), original.begin() + 64);
  header_only.resize(original.size(), 0);
  test::write_file(last, header_only);
  report = verify();
  BOOST_TEST(!report.ok);
  BOOST_TEST(report.first_bad_seq == first_of_last);
  BOOST_TEST(!Log::open(f.options(), test::test_keys()).ok());
  test::write_file(last, original);
  BOOST_TEST(verify().ok);
}

BOOST_AUTO_TEST_CASE(segments_rotate_and_the_chain_spans_them) {
  LogFixture f;
  for (int i = 0; i < 600; ++i)
    BOOST_REQUIRE(f.log->append(test::sample_event(EventType::kDataExport, i)).ok());
  BOOST_REQUIRE(f.log->flush().ok());
  std::size_t segments = 0;
  for (const auto& e : std::filesystem::directory_iterator(f.tmp.path() / "audit")) {
    segments += e.path().filename().string().starts_with("seg-");
  }
  BOOST_TEST(segments > 2u);
  auto v = f.log->verify();
  BOOST_REQUIRE(v.ok());
  BOOST_TEST(v->ok);
  BOOST_TEST(v->records == 601u);  // and the genesis record
  f.reopen();
  BOOST_TEST(test::all_records(*f.log).size() == 601u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::audit
