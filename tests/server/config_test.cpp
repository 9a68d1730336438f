// dbvault.conf parsing: every key applies, typos and bad values are errors naming the line.
#include "server/runtime/config.h"

#include <boost/test/unit_test.hpp>
#include <fstream>

#include "tests/support/temp_dir.h"

using namespace dbvault;
using namespace dbvault::server;

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(defaults_and_settings) {
  ServerConfig c;
  BOOST_TEST(c.listen_host == "127.0.0.1");
  BOOST_TEST(c.listen_port == 6543);
  BOOST_TEST(apply_setting(c, "listen", "[::1]:7000").ok());
  BOOST_TEST(c.listen_host == "::1");
  BOOST_TEST(c.listen_port == 7000);
  BOOST_TEST(apply_setting(c, "require_tls", "on").ok());
  BOOST_TEST(c.require_tls);
  BOOST_TEST(apply_setting(c, "auth.cert_users", " alice , bob,").ok());
  BOOST_TEST(c.cert_users.size() == 2u);
  BOOST_TEST(c.cert_users[1] == "bob");
  BOOST_TEST(apply_setting(c, "idle_timeout", "30").ok());
  BOOST_TEST(c.idle_timeout.count() == 30);
}

BOOST_AUTO_TEST_CASE(bad_values_are_refused) {
  ServerConfig c;
  const auto unknown = apply_setting(c, "listn", "1.2.3.4:5");
  BOOST_REQUIRE(!unknown.ok());
  BOOST_TEST(unknown.error().code == sqlstate::kInvalidParameterValue);
  BOOST_TEST(!apply_setting(c, "max_connections", "0").ok());
  BOOST_TEST(!apply_setting(c, "max_connections", "12x").ok());
  BOOST_TEST(!apply_setting(c, "kms", "aws").ok());
  BOOST_TEST(!apply_setting(c, "listen", "nohostport").ok());
  BOOST_TEST(!apply_setting(c, "listen", "h:70000").ok());
  BOOST_TEST(c.max_connections == 100);  // nothing changed
}

BOOST_AUTO_TEST_CASE(file_errors_name_the_line) {
  test::TempDir dir("config");
  const auto path = dir.path() / "dbvault.conf";
  std::ofstream(path) << "# comment\nlisten = 127.0.0.1:9999  # trailing\n\nmax_conections = 5\n";
  ServerConfig c;
  const auto s = load_config_file(path, c);
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.error().message.find(":4:") != std::string::npos);
  BOOST_TEST(s.error().message.find("max_conections") != std::string::npos);
  std::ofstream(path) << default_config_text() << "kms = env\nlog_format = \"json\"\n";
  ServerConfig d;
  BOOST_REQUIRE(load_config_file(path, d).ok());
  BOOST_TEST(d.kms == "env");
  BOOST_TEST(d.log_format == "json");
  ServerConfig e;
  BOOST_TEST(load_config_file(dir.path() / "missing.conf", e).ok());
}

BOOST_AUTO_TEST_SUITE_END()
