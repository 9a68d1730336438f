// `dbvault init --kms kmip` and `dbvault serve` through the binary (DBVAULT_BIN, set by ctest),
// against a real pykmip-server: the data directory is created with its MEK in the key manager,
// the server starts with it, and refuses to start (58000 naming the host) when the key manager
// is down.
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/crypto/pykmip_fixture.h"

using namespace dbvault::crypto::test;

namespace {

std::string dbvault_bin() {
  const char* bin = std::getenv("DBVAULT_BIN");
  BOOST_REQUIRE_MESSAGE(bin != nullptr && *bin != '\0', "DBVAULT_BIN is not set (run via ctest)");
  return bin;
}

struct Run {
  int status;
  std::string output;
};

// Runs `args` (already shell-quoted) with stdout and stderr captured.
Run run(const std::string& args) {
  const std::string cmd =
      "DBVAULT_DBA_PASSWORD=dba-pw-1 DBVAULT_SECADMIN_PASSWORD=sec-pw-1 "
      "DBVAULT_AUDITOR_PASSWORD=aud-pw-1 '" +
      dbvault_bin() + "' " + args + " 2>&1";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  BOOST_REQUIRE(p != nullptr);
  std::string out;
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  const int status = ::pclose(p);
  BOOST_TEST_MESSAGE("dbvault " << args << "\n" << out);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string kmip_flags(const PyKmip& kms) {
  const auto o = kms.options(false);
  return "--kms kmip --kmip-host " + o.host + " --kmip-port " + std::to_string(o.port) +
         " --kmip-cert '" + o.cert_path + "' --kmip-key '" + o.key_path + "' --kmip-ca '" +
         o.ca_path + "' --kmip-key-name init-mek";
}

std::string provider_of_active_mek(const std::filesystem::path& keys_db) {
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open_v2(keys_db.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db,
                         "SELECT mek_id || ' ' || provider FROM master_keys WHERE state = "
                         "'active'",
                         -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

// Starts `dbvault serve` on a free port, waits (bounded) until it listens, then stops it.
// Returns whether it listened.
bool serve_starts(const std::filesystem::path& data, const std::filesystem::path& port_file) {
  const std::string bin = dbvault_bin();
  const std::string d = data.string();
  const std::string pf = port_file.string();
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl(bin.c_str(), bin.c_str(), "serve", "--data-dir", d.c_str(), "--listen", "127.0.0.1:0",
            "--port-file", pf.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  bool listening = false;
  for (int i = 0; i < 300 && !listening; ++i) {
    listening = std::filesystem::exists(port_file);
    int status = 0;
    if (!listening && ::waitpid(pid, &status, WNOHANG) == pid) return false;
    if (!listening) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  return listening;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(kmip_init, *boost::unit_test::precondition(pykmip_available))

BOOST_FIXTURE_TEST_CASE(init_with_kmip_then_serve_and_refuse_when_the_key_manager_is_down, PyKmip) {
  TempDir root("kmipinit");
  const auto data = root.path() / "data";
  Run init = run("init --data-dir '" + data.string() + "' " + kmip_flags(*this));
  BOOST_REQUIRE_EQUAL(init.status, 0);
  BOOST_TEST(init.output.find("(key provider kmip)") != std::string::npos);
  BOOST_TEST(provider_of_active_mek(data / "keys" / "keys.db") == "init-mek kmip");
  std::stringstream conf;
  conf << std::ifstream(data / "dbvault.conf").rdbuf();
  BOOST_TEST(conf.str().find("kmip.host = \"127.0.0.1\"") != std::string::npos);
  BOOST_TEST(conf.str().find("kmip.key_name = \"init-mek\"") != std::string::npos);

  // The server starts with the MEK in the key manager (the key-check value is verified there).
  BOOST_TEST(serve_starts(data, root.path() / "port1"));

  // Key manager down: the server refuses to start, naming it; nothing else is said about keys.
  stop();
  Run serve = run("serve --data-dir '" + data.string() + "' --listen 127.0.0.1:0");
  BOOST_TEST(serve.status != 0);
  BOOST_TEST(serve.output.find("58000") != std::string::npos);
  BOOST_TEST(serve.output.find("127.0.0.1:" + std::to_string(port())) != std::string::npos);
  BOOST_TEST(serve.output.find("connect failed") != std::string::npos);

  // init refuses too, and leaves no data directory behind.
  const auto other = root.path() / "other";
  Run refused = run("init --data-dir '" + other.string() + "' " + kmip_flags(*this));
  BOOST_TEST(refused.status == 3);
  BOOST_TEST(refused.output.find("58000") != std::string::npos);
  BOOST_TEST(!std::filesystem::exists(other));

  // Back up: the same data directory serves again.
  start();
  BOOST_TEST(serve_starts(data, root.path() / "port2"));
}

BOOST_FIXTURE_TEST_CASE(init_refuses_incomplete_kmip_settings, PyKmip) {
  TempDir root("kmipinit");
  Run r = run("init --data-dir '" + (root.path() / "d").string() +
              "' --kms kmip --kmip-host 127.0.0.1");
  BOOST_TEST(r.status == 3);
  BOOST_TEST(r.output.find("needs host, client certificate, client key and CA file") !=
             std::string::npos);
  Run bad_port =
      run("init --data-dir '" + (root.path() / "e").string() + "' --kms kmip --kmip-port 70000");
  BOOST_TEST(bad_port.status == 2);
}

BOOST_AUTO_TEST_SUITE_END()
