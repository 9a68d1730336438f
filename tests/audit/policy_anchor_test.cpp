// The policy store's side of the anchors (vault/audit_anchor.h) with a real policy.db: every
// policy version is recorded before it commits, a store rolled back to an older copy is refused
// at start-up, and a change whose record cannot be written is refused.
#include <boost/test/unit_test.hpp>

#include "tests/audit/test_util.h"
#include "vault/audit_anchor.h"

namespace dbvault::audit {
namespace {

using test::LogFixture;

struct PolicyFixture : LogFixture {
  PolicyFixture() { open_store(); }
  void open_store() {
    store.reset();
    auto opened = vault::PolicyStore::open(tmp.path() / "policy.db");
    BOOST_REQUIRE(opened.ok());
    store = std::move(*opened);
  }
  Status change(const std::string& name) {
    return store->write([&](vault::PolicyStore::Db& db) {
      return db.run("INSERT INTO rule_sets (name, sql) VALUES (?, 'x')", name);
    });
  }
  std::vector<Record> anchor_records() const {
    std::vector<Record> out;
    for (auto& r : test::all_records(*log)) {
      if (r.event.type == EventType::kAuditAnchor) out.push_back(r);
    }
    return out;
  }
  std::unique_ptr<vault::PolicyStore> store;
};

BOOST_AUTO_TEST_SUITE(policy_anchor)

BOOST_AUTO_TEST_CASE(every_policy_version_is_recorded_and_anchored) {
  PolicyFixture f;
  BOOST_REQUIRE(vault::attach_audit_anchor(*f.store, *f.log).ok());
  BOOST_REQUIRE(f.change("a").ok());
  BOOST_REQUIRE(f.change("b").ok());
  const auto records = f.anchor_records();
  BOOST_REQUIRE_EQUAL(records.size(), 4u);  // genesis, start-up, versions 1 and 2
  BOOST_TEST(records.back().event.detail["policy_version"] == 2);
  auto policy = vault::load_policy_anchor(*f.store);
  BOOST_REQUIRE(policy.ok());
  BOOST_TEST(policy->policy_version == 2u);
  BOOST_TEST(policy->anchor->audit_seq == records.back().seq);
  // A restart: the stores agree.
  vault::detach_audit_anchor(*f.store);
  f.open_store();
  f.reopen();
  BOOST_TEST(vault::attach_audit_anchor(*f.store, *f.log).ok());
  vault::detach_audit_anchor(*f.store);
}

BOOST_AUTO_TEST_CASE(a_policy_store_put_back_from_an_older_copy_is_refused_at_start) {
  PolicyFixture f;
  BOOST_REQUIRE(vault::attach_audit_anchor(*f.store, *f.log).ok());
  BOOST_REQUIRE(f.change("a").ok());
  vault::detach_audit_anchor(*f.store);
  f.store.reset();
  const auto db = f.tmp.path() / "policy.db";
  std::filesystem::copy_file(db, f.tmp.path() / "old.db");
  f.open_store();
  BOOST_REQUIRE(vault::attach_audit_anchor(*f.store, *f.log).ok());
  BOOST_REQUIRE(f.change("revoke something").ok());
  vault::detach_audit_anchor(*f.store);
  f.store.reset();
  std::filesystem::remove(db.string() + "-wal");
  std::filesystem::remove(db.string() + "-shm");
  std::filesystem::copy_file(f.tmp.path() / "old.db", db,
                             std::filesystem::copy_options::overwrite_existing);
  f.open_store();
  auto s = vault::attach_audit_anchor(*f.store, *f.log);
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.error().code == sqlstate::kSystemError);
  BOOST_TEST(s.error().message.find("policy store was rolled back") != std::string::npos);
  // Nothing was installed: a change is not anchored (and nothing was appended).
  const auto before = f.log->durable_seq();
  BOOST_REQUIRE(f.change("c").ok());
  BOOST_TEST(f.log->durable_seq() == before);
}

BOOST_AUTO_TEST_CASE(a_change_whose_record_cannot_be_written_is_refused) {
  PolicyFixture f;
  // What the installed hook returns when the log has failed.
  f.store->set_version_hook([](vault::PolicyStore::Db&, std::uint64_t) -> Status {
    return make_error(sqlstate::kSystemError, "audit log unavailable");
  });
  auto s = f.change("a");
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.error().code == sqlstate::kSystemError);
  auto policy = vault::load_policy_anchor(*f.store);
  BOOST_REQUIRE(policy.ok());
  BOOST_TEST(policy->policy_version == 0u);  // rolled back with its anchor
  f.store->set_version_hook(nullptr);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::audit
