// `dbvault audit verify|export` against a data directory with a real TekStore (env provider).
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <sstream>

#include "server/audit_command.h"
#include "tests/audit/test_util.h"

namespace dbvault::audit {
namespace {

BOOST_AUTO_TEST_SUITE(cli)

BOOST_AUTO_TEST_CASE(verify_and_export_a_data_directory) {
  test::TempDir data("audit_cli");
  ::setenv("DBVAULT_MASTER_KEY_HEX",
           "8f2b6c1d4e5a79f0312c4b6d8e0fa1b2c3d4e5f60718293a4b5c6d7e8f901a2b", 1);
  ::setenv("DBVAULT_MASTER_KEY_ID", "test-mek", 1);
  ManualClock clock(test::test_start());
  {
    auto log = test::open_data_dir_log(data.path(), clock, true);
    for (int i = 0; i < 5; ++i)
      BOOST_REQUIRE(log->append(test::sample_event(EventType::kLogin, i)).ok());
    BOOST_REQUIRE(log->append_sync(test::sample_event(EventType::kEmergencyAccess)).ok());
  }
  const std::string dir = data.path().string();
  std::ostringstream out, err;
  BOOST_TEST(server::run_audit_command({"verify", "--data-dir", dir, "--key-provider", "env"}, out,
                                       err) == 0);
  BOOST_TEST(out.str().find("audit log OK: 7 records") != std::string::npos);
  out.str("");
  BOOST_TEST(server::run_audit_command({"export", "--data-dir", dir, "--type", "emergency_access",
                                        "--since", "2025-10-11"},
                                       out, err) == 0);
  BOOST_TEST(out.str().find("\"seq\":7") != std::string::npos);
  const std::string exported = out.str();
  BOOST_TEST(std::count(exported.begin(), exported.end(), '\n') == 1);
  // Damage: verify exits 1 and names the seq.
  const auto seg = data.path() / "audit" / "seg-00000000000000000001.log";
  auto bytes = test::read_file(seg);
  bytes[200] ^= 1;
  test::write_file(seg, bytes);
  out.str("");
  BOOST_TEST(server::run_audit_command({"verify", "--data-dir", dir}, out, err) == 1);
  BOOST_TEST(out.str().find("BROKEN at seq 1") != std::string::npos);
  // Another MEK: refused, exit 3.
  ::setenv("DBVAULT_MASTER_KEY_HEX",
           "1111111111111111111111111111111111111111111111111111111111111111", 1);
  std::ostringstream err2;
  BOOST_TEST(server::run_audit_command({"verify", "--data-dir", dir}, out, err2) == 3);
  BOOST_TEST(err2.str().find("ERROR 58000") != std::string::npos);
  BOOST_TEST(server::run_audit_command({"verify"}, out, err) == 2);
  BOOST_TEST(server::run_audit_command({"purge", "--data-dir", dir}, out, err) == 2);
  ::unsetenv("DBVAULT_MASTER_KEY_HEX");
  ::unsetenv("DBVAULT_MASTER_KEY_ID");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::audit
