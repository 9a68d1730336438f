// Anchors outside the chain (issue 9 item 3): the policy store's anchor and the audit log's
// policy-version records find a rollback of either store without the other — including the old
// HEAD replayed with every frame after it zeroed, which the tail rules cannot see.
#include "audit/anchor.h"

#include <boost/test/unit_test.hpp>

#include "tests/audit/test_util.h"

namespace dbvault::audit {
namespace {

using test::LogFixture;

// Copies of the audit directory, to put an older one back (what an attacker with the disk does).
struct Snapshot {
  explicit Snapshot(const LogFixture& f) : from(f.tmp.path() / "audit"), to(f.tmp.path() / "snap") {
    std::filesystem::remove_all(to);
    std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
  }
  void restore() const {
    std::filesystem::remove_all(from);
    std::filesystem::copy(to, from, std::filesystem::copy_options::recursive);
  }
  std::filesystem::path from, to;
};

void append_some(Log& log, int n) {
  for (int i = 0; i < n; ++i)
    BOOST_REQUIRE(log.append_sync(test::sample_event(EventType::kLogin, i)).ok());
}

void require_refused(const Status& s, std::string_view part) {
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.error().code == sqlstate::kSystemError);
  BOOST_TEST_MESSAGE(s.error().message);
  BOOST_TEST(s.error().message.find(part) != std::string::npos, s.error().message);
}

BOOST_AUTO_TEST_SUITE(anchors)

BOOST_AUTO_TEST_CASE(agreeing_stores_pass_and_anchors_round_trip_as_text) {
  LogFixture f;
  BOOST_TEST(check_anchors(*f.log, PolicyAnchor{0, std::nullopt}).ok());
  append_some(*f.log, 3);
  auto a = f.log->anchor_policy_version(7);
  BOOST_REQUIRE(a.ok());
  auto decoded = decode_anchor(encode_anchor(*a));
  BOOST_REQUIRE(decoded.ok());
  BOOST_TEST(decoded->audit_seq == a->audit_seq);
  BOOST_TEST((decoded->mac == a->mac));
  append_some(*f.log, 3);
  BOOST_TEST(check_anchors(*f.log, PolicyAnchor{7, *decoded}).ok());
  // Re-anchoring the same version later is fine (what start-up and shutdown do).
  BOOST_REQUIRE(f.log->anchor_policy_version(7).ok());
  BOOST_TEST(check_anchors(*f.log, PolicyAnchor{7, *a}).ok());
  BOOST_TEST(!decode_anchor("v1:1:zz:1:00").ok());
}

BOOST_AUTO_TEST_CASE(an_audit_log_rolled_back_to_an_older_copy_is_found) {
  LogFixture f;
  append_some(*f.log, 4);
  f.log.reset();
  const Snapshot old(f);
  f.reopen();
  append_some(*f.log, 4);
  auto a = f.log->anchor_policy_version(1);
  BOOST_REQUIRE(a.ok());
  f.log.reset();
  old.restore();  // HEAD and segments together: the tail rules cannot see it
  f.reopen();
  BOOST_TEST(f.log->verify()->ok);
  require_refused(check_anchors(*f.log, PolicyAnchor{1, *a}), "audit log was rolled back");
}

// The second attack: an old HEAD replayed, every frame after its seq zeroed.
BOOST_AUTO_TEST_CASE(an_old_head_replayed_with_the_frames_after_it_zeroed_is_found) {
  LogFixture f;
  append_some(*f.log, 3);
  f.log.reset();
  const auto head_path = f.tmp.path() / "audit" / "HEAD";
  const auto old_head = test::read_file(head_path);
  const auto seg = test::segment_files(f.tmp.path() / "audit").back();
  const std::size_t old_end = test::frames_of(test::read_file(seg)).back().offset +
                              test::frames_of(test::read_file(seg)).back().size;
  f.reopen();
  BOOST_REQUIRE(f.log->append_sync(test::sample_event(EventType::kEmergencyAccess)).ok());
  auto a = f.log->anchor_policy_version(2);
  BOOST_REQUIRE(a.ok());
  f.log.reset();
  test::write_file(head_path, old_head);
  auto bytes = test::read_file(seg);
  std::fill(bytes.begin() + static_cast<long>(old_end), bytes.end(), 0);
  test::write_file(seg, bytes);
  f.reopen();  // locally this is a consistent older store
  BOOST_TEST(f.log->durable_seq() == 4u);
  require_refused(check_anchors(*f.log, PolicyAnchor{2, *a}), "audit log was rolled back");
}

BOOST_AUTO_TEST_CASE(a_policy_store_rolled_back_is_found) {
  LogFixture f;
  auto v3 = f.log->anchor_policy_version(3);
  BOOST_REQUIRE(v3.ok());
  append_some(*f.log, 2);
  BOOST_REQUIRE(f.log->anchor_policy_version(4).ok());  // the change the old policy.db lacks
  require_refused(check_anchors(*f.log, PolicyAnchor{3, *v3}), "policy store was rolled back");
}

BOOST_AUTO_TEST_CASE(an_edited_or_foreign_anchor_is_found) {
  LogFixture f;
  auto a = f.log->anchor_policy_version(5);
  BOOST_REQUIRE(a.ok());
  Anchor forged = *a;
  forged.audit_seq = 1;  // pointed elsewhere without the key
  require_refused(check_anchors(*f.log, PolicyAnchor{5, forged}), "does not authenticate");
  forged = *a;
  forged.policy_version = 6;
  require_refused(check_anchors(*f.log, PolicyAnchor{6, forged}), "does not authenticate");
  // settings.policy_version edited: the anchor names another version.
  require_refused(check_anchors(*f.log, PolicyAnchor{6, *a}), "names version 5");
  // An anchor of another store (same keys): the record at that seq differs.
  LogFixture other;
  append_some(*other.log, 2);
  auto theirs = other.log->anchor_policy_version(5);
  BOOST_REQUIRE(theirs.ok());
  require_refused(check_anchors(*f.log, PolicyAnchor{5, *theirs}), "");
}

BOOST_AUTO_TEST_CASE(a_policy_store_without_anchor_is_only_fresh_at_version_0) {
  LogFixture f;
  require_refused(check_anchors(*f.log, PolicyAnchor{4, std::nullopt}), "holds no audit anchor");
  BOOST_REQUIRE(f.log->anchor_policy_version(1).ok());
  require_refused(check_anchors(*f.log, PolicyAnchor{0, std::nullopt}), "replaced or wiped");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::audit
