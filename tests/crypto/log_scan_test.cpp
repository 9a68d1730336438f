// Runs the providers, the store and the gate (successes and failures) with the process log at
// trace level written to a file, then scans the file and every error message for the key
// material, PINs and TEKs that were used. None may appear, in hex of either case.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "common/log.h"
#include "crypto/crypto.h"
#include "crypto/env_provider.h"
#include "crypto/file_provider.h"
#include "crypto/pkcs11_provider.h"
#include "tests/crypto/gate_fixtures.h"
#include "tests/crypto/pkcs11_fixture.h"
#include "tests/crypto/test_util.h"

using namespace dbvault;
using namespace dbvault::crypto;
using namespace dbvault::crypto::test;

namespace {

const std::string kEnvHex = "5be1d06c3a9f4e2781c0d5a3b6e9f2014c7a8d3e6b1f0a5c9d2e8b7f4a1c3e6d";

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

// Logs every error the way the server would, so that error messages are scanned too.
template <typename T>
void log_outcome(const Result<T>& r, const char* what) {
  if (r.ok()) {
    spdlog::debug("{}: ok", what);
  } else {
    spdlog::error("{}: {} {}", what, r.error().code.code(), r.error().message);
  }
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(process_logs_contain_no_key_material_or_pins, SoftHsm) {
  TempDir logs("logscan");
  const auto log_path = logs.path() / "dbvault.log";
  LogOptions lo;
  lo.level = "trace";
  lo.file = log_path.string();
  BOOST_REQUIRE(init_logging(lo).ok());
  std::vector<std::string> secrets = {kEnvHex, kPin, kSoPin, "0000-wrong-pin"};

  ManualClock clock(TimePoint(std::chrono::seconds(1'700'000'000)));
  {
    ScopedEnv h("DBVAULT_MASTER_KEY_HEX", kEnvHex.substr(0, 63) + "x");
    ScopedEnv i("DBVAULT_MASTER_KEY_ID", "env-1");
    log_outcome(open_env_provider(), "env provider (malformed)");
  }
  ScopedEnv h("DBVAULT_MASTER_KEY_HEX", kEnvHex);
  ScopedEnv i("DBVAULT_MASTER_KEY_ID", "env-1");
  auto env = open_env_provider();
  log_outcome(env, "env provider");
  BOOST_REQUIRE(env.ok());

  TempDir data("logscan_data");
  auto file = create_file_provider(data.path() / "master.key", "file-1");
  log_outcome(file, "file provider");
  BOOST_REQUIRE(file.ok());
  {
    std::ifstream in(data.path() / "master.key");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("key ", 0) == 0) secrets.push_back(line.substr(4));
    }
  }
  log_outcome(open_file_provider(data.path() / "master.key"), "file provider reopen");
  std::filesystem::permissions(data.path() / "master.key", std::filesystem::perms::group_read,
                               std::filesystem::perm_options::add);
  log_outcome(open_file_provider(data.path() / "master.key"), "file provider 0640");

  {
    ScopedEnv wrong("DBVAULT_PKCS11_PIN", "0000-wrong-pin");
    log_outcome(open_pkcs11_provider(options(true)), "pkcs11 wrong pin");
  }
  auto hsm = open_pkcs11_provider(options(true));
  log_outcome(hsm, "pkcs11");
  BOOST_REQUIRE(hsm.ok());

  auto store = TekStore::open(data.path() / "keys", std::move(*env), clock);
  BOOST_REQUIRE(store.ok());
  const auto scope = KeyScope::tablespace("users");
  BOOST_REQUIRE((*store)->create_tek(scope).ok());
  InMemoryAuthorizer authorizer;
  InMemoryAuditSink audit;
  KeyGate gate(**store, authorizer, audit, clock);
  log_outcome(gate.release({9, "mallory"}, scope), "release unauthorized");
  authorizer.grant(9, scope);
  auto handle = gate.release({9, "mallory"}, scope);
  log_outcome(handle, "release");
  BOOST_REQUIRE(handle.ok());
  BOOST_REQUIRE(
      handle->with_key([&](const SecretBytes& k) { secrets.push_back(to_hex(k.view())); }).ok());
  log_outcome((*store)->rotate_mek(std::move(*hsm)), "rotate mek to pkcs11");
  remove_token();
  log_outcome(gate.release({9, "mallory"}, scope), "release after token removal");
  spdlog::default_logger()->flush();

  std::stringstream buf;
  buf << std::ifstream(log_path).rdbuf();
  const std::string text = buf.str();
  BOOST_TEST(text.find("file provider") != std::string::npos);  // the capture works
  BOOST_TEST(text.find("incorrect PIN") != std::string::npos);
  BOOST_TEST(text.find("unreachable") != std::string::npos);
  for (const auto& secret : secrets) {
    BOOST_TEST_CONTEXT("secret #" << (&secret - secrets.data())) {
      BOOST_TEST(text.find(secret) == std::string::npos);
      BOOST_TEST(text.find(upper(secret)) == std::string::npos);
      BOOST_TEST(text.find(secret.substr(0, 16)) == std::string::npos);
    }
  }
  spdlog::drop_all();
  BOOST_REQUIRE(init_logging(LogOptions{}).ok());
}
