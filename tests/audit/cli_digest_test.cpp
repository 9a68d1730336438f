// `dbvault audit digest`, `verify --digest` and `recover --accept-rollback` against a data
// directory with a real TekStore (env provider), a real policy.db and an audit store that an
// attacker rolls back to an older copy.
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "crypto/env_provider.h"
#include "server/audit_command.h"
#include "server/runtime/policy_store_file.h"
#include "tests/audit/test_util.h"
#include "vault/audit_anchor.h"

namespace dbvault::audit {
namespace {

struct DataDir {
  DataDir() {
    ::setenv("DBVAULT_MASTER_KEY_HEX",
             "8f2b6c1d4e5a79f0312c4b6d8e0fa1b2c3d4e5f60718293a4b5c6d7e8f901a2b", 1);
    ::setenv("DBVAULT_MASTER_KEY_ID", "test-mek", 1);
  }
  ~DataDir() {
    ::unsetenv("DBVAULT_MASTER_KEY_HEX");
    ::unsetenv("DBVAULT_MASTER_KEY_ID");
  }
  // Opens the log and the policy store (encrypted under its key, as `dbvault serve` does) as a
  // server would, makes one policy change, closes.
  void serve_one_change(const std::string& name, bool create) {
    auto log = test::open_data_dir_log(tmp.path(), clock, create);
    auto mek = crypto::open_env_provider();
    BOOST_REQUIRE(mek.ok());
    auto keys = crypto::TekStore::open(
        tmp.path() / "keys", std::shared_ptr<crypto::MasterKeyProvider>(std::move(*mek)), clock);
    BOOST_REQUIRE(keys.ok());
    if (create) BOOST_REQUIRE((*keys)->create_tek(crypto::KeyScope::policy()).ok());
    auto vfs = server::open_policy_vfs(**keys);
    BOOST_REQUIRE(vfs.ok());
    auto store =
        vault::PolicyStore::open(tmp.path() / "policy.db", server::policy_connector(**vfs));
    BOOST_REQUIRE(store.ok());
    auto attached = vault::attach_audit_anchor(**store, *log);
    BOOST_REQUIRE_MESSAGE(attached.ok(), (attached.ok() ? "" : attached.error().message));
    BOOST_REQUIRE(log->append_sync(test::sample_event(EventType::kEmergencyAccess)).ok());
    BOOST_REQUIRE((*store)
                      ->write([&](vault::PolicyStore::Db& db) {
                        return db.run("INSERT INTO rule_sets (name, sql) VALUES (?, 'x')", name);
                      })
                      .ok());
    vault::detach_audit_anchor(**store);
  }
  int run(std::vector<std::string_view> args) {
    out.str("");
    err.str("");
    const int rc = server::run_audit_command(args, out, err);
    BOOST_TEST_MESSAGE("audit " << args[0] << " -> " << rc << ": " << out.str() << err.str());
    return rc;
  }
  test::TempDir tmp{"audit_cli_digest"};
  ManualClock clock{test::test_start()};
  std::ostringstream out, err;
};

BOOST_AUTO_TEST_SUITE(cli)

BOOST_AUTO_TEST_CASE(digest_verify_digest_and_recover_after_a_rollback) {
  DataDir d;
  const std::string dir = d.tmp.path().string();
  d.serve_one_change("a", true);
  const auto audit_dir = d.tmp.path() / "audit";
  std::filesystem::copy(audit_dir, d.tmp.path() / "old", std::filesystem::copy_options::recursive);
  d.serve_one_change("b", false);

  BOOST_REQUIRE(d.run({"digest", "--data-dir", dir}) == 0);
  const std::string digest = d.out.str();
  BOOST_TEST(digest.find("{\"dbvault_audit_digest\":1,\"seq\":") == 0u);
  const auto file = (d.tmp.path() / "digests.jsonl").string();
  std::ofstream(file) << digest << "\n" << digest;
  BOOST_TEST(d.run({"verify", "--data-dir", dir, "--digest", file}) == 0);
  BOOST_TEST(d.out.str().find("2 digests confirmed") != std::string::npos);
  std::string forged = digest;
  char& c = forged[forged.find("\"mac\":\"") + 7];
  c = c == '0' ? '1' : '0';
  const auto forged_file = (d.tmp.path() / "forged.jsonl").string();
  std::ofstream(forged_file) << forged;
  BOOST_TEST(d.run({"verify", "--data-dir", dir, "--digest", forged_file}) == 1);
  BOOST_TEST(d.out.str().find("MAC does not match") != std::string::npos);

  // The attacker puts the older audit directory back: consistent alone, caught by the digest.
  std::filesystem::remove_all(audit_dir);
  std::filesystem::rename(d.tmp.path() / "old", audit_dir);
  BOOST_TEST(d.run({"verify", "--data-dir", dir}) == 0);
  BOOST_TEST(d.run({"verify", "--data-dir", dir, "--digest", file}) == 1);
  BOOST_TEST(d.out.str().find("truncated or rolled back") != std::string::npos);

  // recover: refused without the flag; with it, the rollback is accepted and recorded.
  BOOST_TEST(d.run({"recover", "--data-dir", dir}) == 2);
  BOOST_TEST(d.run({"recover", "--data-dir", dir, "--accept-rollback", "--reason", "INC-7"}) == 0);
  BOOST_TEST(d.out.str().find("accepted: audit anchors disagree") != std::string::npos);
  BOOST_TEST(d.run({"recover", "--data-dir", dir, "--accept-rollback"}) == 0);
  BOOST_TEST(d.out.str().find("nothing to recover") != std::string::npos);
  d.serve_one_change("c", false);  // the server starts again
  BOOST_TEST(d.run({"export", "--data-dir", dir, "--type", "audit_anchor"}) == 0);
  BOOST_TEST(d.out.str().find("\"action\":\"accept_rollback\"") != std::string::npos);
  BOOST_TEST(d.out.str().find("\"reason\":\"INC-7\"") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::audit
