// KeyAccessLog: a real KeyGate over a real TekStore (file MEK provider) records each key release
// in a real Log — durably before the key is handed out, without key material — and a release
// whose record cannot be written is refused.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <string>

#include "audit/key_access_log.h"
#include "crypto/file_provider.h"
#include "tests/audit/test_util.h"
#include "tests/crypto/gate_fixtures.h"  // InMemoryAuthorizer (the vault's role)

namespace dbvault::audit {
namespace {

std::string hex(const std::uint8_t* p, std::size_t n, const char* digits) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

// A data directory as the server would have it: keys/ (file MEK, TekStore), audit/ (a Log with
// the keys load_audit_keys() gives), and a KeyGate whose sink is a KeyAccessLog.
struct GatedLog {
  GatedLog() {
    std::filesystem::create_directories(data.path() / "keys");
    ::chmod((data.path() / "keys").c_str(), 0700);
    auto mek = crypto::create_file_provider(data.path() / "keys" / "master.key", "test-mek");
    BOOST_REQUIRE(mek.ok());
    auto s = crypto::TekStore::open(data.path() / "keys", std::move(*mek), clock);
    BOOST_REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
    store = std::move(*s);
    BOOST_REQUIRE(store->create_tek(users).ok());
    open_log();
    sink = std::make_unique<KeyAccessLog>(*log);
    gate = std::make_unique<crypto::KeyGate>(*store, authorizer, *sink, clock);
  }
  ~GatedLog() {
    gate.reset();
    sink.reset();
    log.reset();
  }
  LogOptions options() const {
    LogOptions o;
    o.dir = data.path() / "audit";
    o.clock = &clock;
    o.segment_bytes = 64 << 10;
    o.create_if_missing = true;
    return o;
  }
  void open_log() {
    log.reset();
    auto keys = load_audit_keys(*store, true);
    BOOST_REQUIRE(keys.ok());
    auto opened = Log::open(options(), std::move(*keys));
    BOOST_REQUIRE(opened.ok());
    log = std::move(*opened);
  }

  test::TempDir data{"key_access"};
  ManualClock clock{test::test_start()};
  crypto::test::InMemoryAuthorizer authorizer;
  std::unique_ptr<crypto::TekStore> store;
  std::unique_ptr<Log> log;
  std::unique_ptr<KeyAccessLog> sink;
  std::unique_ptr<crypto::KeyGate> gate;
  const crypto::KeyScope users = crypto::KeyScope::tablespace("users");
};

// While alive, this process may not write a file past its first 64 bytes (soft limit only, so
// it can be raised back): the audit log's next frame write fails as on a full disk.
class FileSizeLimit {
 public:
  FileSizeLimit() {
    BOOST_REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved_) == 0);
    old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit tight = saved_;
    tight.rlim_cur = 64;
    BOOST_REQUIRE(::setrlimit(RLIMIT_FSIZE, &tight) == 0);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    ::signal(SIGXFSZ, old_handler_);
  }

 private:
  struct rlimit saved_ {};
  sighandler_t old_handler_ = SIG_DFL;
};

BOOST_AUTO_TEST_SUITE(key_access)

BOOST_AUTO_TEST_CASE(each_release_is_a_durable_key_access_record_without_key_material) {
  GatedLog g;
  g.authorizer.grant(7, g.users);
  g.authorizer.grant(8, g.users);
  auto handle = g.gate->release({7, "alice"}, g.users);
  BOOST_REQUIRE_MESSAGE(handle.ok(), (handle.ok() ? "" : handle.error().message));
  // Durable before the key was handed out (seq 1 is the store's genesis record).
  BOOST_TEST(g.log->durable_seq() == 2u);
  BOOST_REQUIRE(g.gate->release({7, "alice"}, g.users).ok());  // audited once per session
  BOOST_TEST(g.log->durable_seq() == 2u);
  BOOST_REQUIRE(g.gate->release({8, "bob"}, g.users).ok());
  BOOST_TEST(g.log->durable_seq() == 3u);
  BOOST_TEST(g.gate->release({9, "mallory"}, g.users).error().code ==
             sqlstate::kInsufficientPrivilege);
  BOOST_TEST(g.log->durable_seq() == 3u);  // a refused release is not a key access

  auto records = test::all_records(*g.log);
  records.erase(records.begin());  // the genesis record
  BOOST_REQUIRE_EQUAL(records.size(), 2u);
  const Event& e = records[0].event;
  BOOST_TEST(e.type == EventType::kKeyAccess);
  BOOST_TEST((e.severity == Severity::kInfo));
  BOOST_TEST((e.result == Outcome::kSuccess));
  BOOST_TEST(e.user == "alice");
  BOOST_TEST(e.session_id == "7");
  BOOST_TEST(records[0].retention_class == "7y");
  BOOST_TEST(e.detail.dump() ==
             R"({"key_id":"tablespace:users@v1","mek_id":"test-mek","operation":"release",)"
             R"("scope":"tablespace:users","version":1})");
  BOOST_TEST(records[1].event.user == "bob");
  BOOST_TEST(records[1].event.session_id == "8");

  // No key material in any record, nor in any file of the audit store.
  std::vector<std::string> secrets;
  const auto captured = handle->with_key([&](const crypto::SecretBytes& k) {
    secrets.push_back(hex(k.data(), k.size(), "0123456789abcdef"));
    secrets.push_back(hex(k.data(), k.size(), "0123456789ABCDEF"));
    secrets.emplace_back(reinterpret_cast<const char*>(k.data()), k.size());
  });
  BOOST_REQUIRE(captured.ok());
  std::ifstream mek_file(g.data.path() / "keys" / "master.key");
  for (std::string line; std::getline(mek_file, line);) {
    if (line.starts_with("key ")) secrets.push_back(line.substr(4));
  }
  BOOST_REQUIRE_EQUAL(secrets.size(), 4u);
  for (const auto& r : records) {
    const std::string json = export_json(r);
    for (const auto& s : secrets) BOOST_TEST(json.find(s) == std::string::npos);
  }
  g.log.reset();
  for (const auto& entry : std::filesystem::directory_iterator(g.data.path() / "audit")) {
    const auto bytes = test::read_file(entry.path());
    const std::string text(bytes.begin(), bytes.end());
    for (const auto& s : secrets) BOOST_TEST(text.find(s) == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(a_release_whose_record_cannot_be_written_is_refused) {
  GatedLog g;
  g.authorizer.grant(7, g.users);
  {
    FileSizeLimit full_disk;
    auto refused = g.gate->release({7, "alice"}, g.users);
    BOOST_REQUIRE(!refused.ok());
    BOOST_TEST(refused.error().code == sqlstate::kSystemError);
    BOOST_TEST(refused.error().message.find("audit") != std::string::npos);
  }
  // The log stays failed (docs/audit.md §5), so the gate keeps refusing: no key without record.
  auto again = g.gate->release({7, "alice"}, g.users);
  BOOST_REQUIRE(!again.ok());
  BOOST_TEST(again.error().code == sqlstate::kSystemError);
  BOOST_TEST(!g.log->health().ok());
  // Reopened (recovery), the store holds no key_access record and the chain verifies; the
  // release then succeeds and is recorded.
  g.gate.reset();
  g.sink.reset();
  g.open_log();
  BOOST_TEST(test::all_records(*g.log).size() == 1u);  // the genesis record only
  g.sink = std::make_unique<KeyAccessLog>(*g.log);
  g.gate = std::make_unique<crypto::KeyGate>(*g.store, g.authorizer, *g.sink, g.clock);
  BOOST_REQUIRE(g.gate->release({7, "alice"}, g.users).ok());
  auto report = g.log->verify();
  BOOST_REQUIRE(report.ok());
  BOOST_TEST(report->ok);
  BOOST_TEST(report->records == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::audit
