// LiveConfig: what a SIGHUP reload may change at once and what waits for a restart.
#include "server/runtime/live_config.h"

#include <boost/test/unit_test.hpp>
#include <thread>

using namespace dbvault::server;

BOOST_AUTO_TEST_SUITE(live_config)

BOOST_AUTO_TEST_CASE(run_time_keys_change_and_restart_only_keys_are_kept) {
  ServerConfig start;
  LiveConfig live(start);
  const ServerConfig& before = live.current();

  ServerConfig next = start;
  next.statement_timeout = std::chrono::milliseconds(250);
  next.export_programs = {"nightly_export"};
  next.require_tls = true;
  next.listen_port = 7000;
  next.kms = "pkcs11";
  next.tls_key = "elsewhere.key";
  next.max_connections = 3;
  const auto changed = live.replace(next);

  const ServerConfig& now = live.current();
  BOOST_TEST(now.statement_timeout.count() == 250);
  BOOST_TEST(now.export_programs == std::vector<std::string>{"nightly_export"});
  BOOST_TEST(now.require_tls);
  BOOST_TEST(now.listen_port == start.listen_port);
  BOOST_TEST(now.kms == start.kms);
  BOOST_TEST(now.tls_key == start.tls_key);
  BOOST_TEST(now.max_connections == start.max_connections);
  BOOST_TEST(changed == (std::vector<std::string>{"listen", "kms", "tls.key", "max_connections"}));
  // A session still holding the previous version reads it unchanged.
  BOOST_TEST(before.statement_timeout.count() == 0);
  BOOST_TEST(before.export_programs.empty());
}

BOOST_AUTO_TEST_CASE(an_unchanged_reload_reports_nothing) {
  ServerConfig start;
  start.kms = "env";
  LiveConfig live(start);
  BOOST_TEST(live.replace(start).empty());
  BOOST_TEST(live.current().kms == "env");
}

BOOST_AUTO_TEST_CASE(readers_see_whole_versions_while_reloads_run) {
  LiveConfig live(ServerConfig{});
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::thread reader([&] {
    while (!stop) {
      const ServerConfig& c = live.current();
      // Each version sets both fields to the same value: a reader never sees a mix.
      if (c.idle_timeout.count() != c.idle_in_transaction_timeout.count()) ++torn;
    }
  });
  for (int i = 1; i <= 2000; ++i) {
    ServerConfig next;
    next.idle_timeout = std::chrono::seconds(i);
    next.idle_in_transaction_timeout = std::chrono::seconds(i);
    live.replace(next);
  }
  stop = true;
  reader.join();
  BOOST_TEST(torn == 0);
  BOOST_TEST(live.current().idle_timeout.count() == 2000);
}

BOOST_AUTO_TEST_SUITE_END()
