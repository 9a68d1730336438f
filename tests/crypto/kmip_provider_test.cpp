// The kmip master-key provider against a real KMIP server (pykmip-server, started by the
// fixture on a free loopback port with throwaway certificates).
#include "crypto/kmip_provider.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <sstream>

#include "crypto/aead.h"
#include "crypto/env_provider.h"
#include "crypto/random.h"
#include "crypto/tek_store.h"
#include "tests/crypto/gate_fixtures.h"
#include "tests/crypto/pykmip_fixture.h"
#include "tests/crypto/test_util.h"

using namespace dbvault;
using namespace dbvault::crypto;
using namespace dbvault::crypto::test;

namespace {

const std::string kEnvHex = "8f3a1c9e5b7d20461fa8c3e95d7b0a2c4e6f8091a2b3c4d5e6f708192a3b4c5d";

template <typename T>
void expect_refused(const Result<T>& r, std::string_view part) {
  BOOST_REQUIRE_MESSAGE(!r.ok(), "expected refusal: " << part);
  BOOST_TEST_MESSAGE(r.error().message);
  BOOST_TEST(r.error().code == sqlstate::kSystemError, r.error().message);
  BOOST_TEST(r.error().message.find(part) != std::string::npos, r.error().message);
}

std::unique_ptr<MasterKeyProvider> open_ok(const KmipOptions& o) {
  auto p = open_kmip_provider(o);
  BOOST_REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.error().message));
  return std::move(*p);
}

// Captures the process log for the scope.
struct LogCapture {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  LogCapture() {
    auto logger = std::make_shared<spdlog::logger>(
        "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(kmip, *boost::unit_test::precondition(pykmip_available))

BOOST_FIXTURE_TEST_CASE(teks_wrap_and_unwrap_inside_the_key_manager_across_restarts, PyKmip) {
  auto p = open_ok(options(/*create=*/true));
  BOOST_TEST(p->kind() == "kmip");
  BOOST_TEST(p->key_id() == "dbvault-mek");
  BOOST_TEST(p->check().ok());
  auto tek = random_key();
  auto wrapped = p->wrap(*tek);
  BOOST_REQUIRE_MESSAGE(wrapped.ok(), (wrapped.ok() ? "" : wrapped.error().message));
  BOOST_TEST(wrapped->size() == 29u + 32u);
  BOOST_TEST(to_hex(*wrapped).find(to_hex(tek->view())) == std::string::npos);
  auto back = p->unwrap(*wrapped);
  BOOST_REQUIRE_MESSAGE(back.ok(), (back.ok() ? "" : back.error().message));
  BOOST_TEST(back->equals(*tek));
  // GCM authenticates: any altered byte (IV, tag, ciphertext) is refused by the key manager.
  for (std::size_t pos : {std::size_t{1}, std::size_t{13}, std::size_t{29}, std::size_t{60}}) {
    auto bad = *wrapped;
    bad[pos] ^= 0x01;
    expect_refused(p->unwrap(bad), "Decrypt failed");
  }
  expect_refused(p->unwrap(std::vector<std::uint8_t>(40, 0x02)), "not a KMIP-wrapped key");
  expect_refused(p->unwrap(std::vector<std::uint8_t>(29, 0x01)), "not a KMIP-wrapped key");

  TempDir data("kmipstore");
  ManualClock clock(TimePoint(std::chrono::seconds(1'700'000'000)));
  {
    auto store = TekStore::open(data.path() / "keys", std::move(p), clock);
    BOOST_REQUIRE_MESSAGE(store.ok(), (store.ok() ? "" : store.error().message));
    BOOST_REQUIRE((*store)->create_tek(KeyScope::tablespace("users")).ok());
  }
  // Restart the key manager; the key persists in its database and is found by name.
  stop();
  start();
  auto store = TekStore::open(data.path() / "keys", open_ok(options(false)), clock);
  BOOST_REQUIRE_MESSAGE(store.ok(), (store.ok() ? "" : store.error().message));
  BOOST_TEST((*store)->unwrap(KeyScope::tablespace("users"), std::nullopt).ok());
  BOOST_TEST(open_ok(options(false))->unwrap(*wrapped).ok());
}

BOOST_FIXTURE_TEST_CASE(mek_rotation_env_to_kmip_and_back, PyKmip) {
  TempDir data("kmiprot");
  ManualClock clock(TimePoint(std::chrono::seconds(1'700'000'000)));
  auto store = TekStore::open(data.path() / "keys", env_key(kEnvHex, "env-1"), clock);
  BOOST_REQUIRE(store.ok());
  const auto scope = KeyScope::audit();
  BOOST_REQUIRE((*store)->create_tek(scope).ok());
  auto before = (*store)->unwrap(scope, std::nullopt);
  BOOST_REQUIRE(before.ok());
  auto sealed = Aead::create(before->info.algorithm, before->key)->seal(bytes_of("audit row"), {});

  BOOST_REQUIRE((*store)->rotate_mek(open_ok(options(true))).ok());
  auto mid = (*store)->unwrap(scope, std::nullopt);
  BOOST_REQUIRE(mid.ok());
  BOOST_TEST(mid->info.mek_id == "dbvault-mek");
  BOOST_TEST(Aead::create(mid->info.algorithm, mid->key)->open(*sealed, {}).ok());

  auto status = (*store)->rotate_mek(env_key(kEnvHex, "env-2"));
  BOOST_REQUIRE_MESSAGE(status.ok(), (status.ok() ? "" : status.error().message));
  auto after = (*store)->unwrap(scope, std::nullopt);
  BOOST_REQUIRE(after.ok());
  BOOST_TEST(after->info.mek_id == "env-2");
  BOOST_TEST(Aead::create(after->info.algorithm, after->key)->open(*sealed, {}).ok());
  store->reset();
  // The KMIP key is retired in keys.db: a server configured with it refuses to start.
  expect_refused(TekStore::open(data.path() / "keys", open_ok(options(false)), clock),
                 "was retired");
  // ... and may now be retired in the key manager too.
  BOOST_TEST(retire_kmip_key(options(false), /*destroy=*/true).ok());
  // A destroyed key is no longer found by its name.
  expect_refused(open_kmip_provider(options(false)), "no key of this name");
}

BOOST_FIXTURE_TEST_CASE(an_unreachable_key_manager_refuses_start_naming_the_host, PyKmip) {
  stop();
  auto r = open_kmip_provider(options(true));
  expect_refused(r, "127.0.0.1:" + std::to_string(port()));
  expect_refused(r, "connect failed");
  // Nothing listening on an unrelated port either, and a name that does not resolve.
  auto o = options(true);
  o.host = "kmip.invalid";
  expect_refused(open_kmip_provider(o), "kmip.invalid");
}

BOOST_FIXTURE_TEST_CASE(a_key_manager_lost_while_running_fails_unwraps_until_it_is_back, PyKmip) {
  auto o = options(true);
  o.health_interval = std::chrono::milliseconds(0);
  auto p = open_ok(o);
  auto tek = random_key();
  auto wrapped = p->wrap(*tek);
  BOOST_REQUIRE(wrapped.ok());
  stop();
  expect_refused(p->unwrap(*wrapped), "127.0.0.1:" + std::to_string(port()));
  expect_refused(p->check(), "connect failed");
  // The connection is dead; once the server is back the next call reconnects (one retry).
  start();
  auto back = p->unwrap(*wrapped);
  BOOST_REQUIRE_MESSAGE(back.ok(), (back.ok() ? "" : back.error().message));
  BOOST_TEST(back->equals(*tek));
  BOOST_TEST(p->check().ok());
}

BOOST_FIXTURE_TEST_CASE(a_key_manager_that_never_answers_times_out, PyKmip) {
  // A socket that listens but never accepts: the kernel completes the TCP handshake, nobody
  // ever speaks TLS.
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  BOOST_REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  BOOST_REQUIRE(::listen(s, 4) == 0);
  BOOST_REQUIRE(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  auto o = options(true);
  o.port = ntohs(a.sin_port);
  o.connect_timeout = std::chrono::milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  expect_refused(open_kmip_provider(o), "TLS handshake failed: timed out");
  BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(5)));
  ::close(s);
}

BOOST_FIXTURE_TEST_CASE(a_key_revoked_in_the_key_manager_refuses_the_next_unwrap, PyKmip) {
  auto p = open_ok(options(true));
  auto tek = random_key();
  auto wrapped = p->wrap(*tek);
  BOOST_REQUIRE(wrapped.ok());
  BOOST_REQUIRE(p->unwrap(*wrapped).ok());
  auto strict_options = options(false);
  strict_options.health_interval = std::chrono::milliseconds(0);
  auto strict = open_ok(strict_options);
  auto revoked = retire_kmip_key(options(false), /*destroy=*/false);
  BOOST_REQUIRE_MESSAGE(revoked.ok(), (revoked.ok() ? "" : revoked.error().message));
  // With health_interval 0 every check() (every key release) asks the key manager.
  expect_refused(strict->check(), "Deactivated (revoked)");
  // The key manager's own reason reaches the error.
  expect_refused(p->unwrap(*wrapped), "Permission Denied");
  expect_refused(p->unwrap(*wrapped), "must be in the Active state");
  expect_refused(p->wrap(*tek), "Permission Denied");
  expect_refused(p->check(), "Deactivated (revoked)");
  expect_refused(open_kmip_provider(options(false)), "not Active");
}

BOOST_FIXTURE_TEST_CASE(a_wrong_client_certificate_or_server_ca_is_refused, PyKmip) {
  BOOST_REQUIRE(open_kmip_provider(options(true)).ok());
  expect_refused(open_kmip_provider(client("rogue")), "TLS handshake failed");
  auto wrong_ca = options(false);
  wrong_ca.ca_path = (dir() / "rogue-ca.pem").string();
  expect_refused(open_kmip_provider(wrong_ca), "server certificate: self-signed certificate");
  auto wrong_host = options(false);
  wrong_host.host = "localhost";  // the same server, but its certificate names 127.0.0.1 only
  expect_refused(open_kmip_provider(wrong_host), "server certificate: hostname mismatch");
  auto missing = options(false);
  missing.cert_path = (dir() / "nope.pem").string();
  expect_refused(open_kmip_provider(missing), "client certificate");
  std::filesystem::permissions(dir() / "cli.key", std::filesystem::perms::group_read,
                               std::filesystem::perm_options::add);
  expect_refused(open_kmip_provider(options(false)), "readable or writable by group or others");
}

BOOST_FIXTURE_TEST_CASE(another_client_identity_cannot_use_the_key, PyKmip) {
  auto mine = open_ok(options(true));
  auto tek = random_key();
  auto wrapped = mine->wrap(*tek);
  BOOST_REQUIRE(wrapped.ok());
  // Same CA, another common name: PyKMIP's default policy hides the key from it.
  expect_refused(open_kmip_provider(client("other")), "no key of this name");
  auto theirs_options = client("other");
  theirs_options.create_key_if_missing = true;  // its own key, of the same name
  auto theirs = open_ok(theirs_options);
  expect_refused(theirs->unwrap(*wrapped), "Decrypt failed");
  BOOST_TEST(mine->unwrap(*wrapped).ok());
}

BOOST_FIXTURE_TEST_CASE(a_missing_key_is_created_only_when_asked, PyKmip) {
  expect_refused(open_kmip_provider(options(false, "other-key")), "no key of this name");
  auto p = open_ok(options(true, "other-key"));
  BOOST_TEST(p->key_id() == "other-key");
  BOOST_TEST(open_kmip_provider(options(false, "other-key")).ok());
  auto bad = options(true, "bad name!");
  auto r = open_kmip_provider(bad);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code == sqlstate::kInvalidParameterValue);
}

BOOST_FIXTURE_TEST_CASE(every_call_is_logged_with_operation_id_and_latency_never_key_bytes,
                        PyKmip) {
  LogCapture log;
  auto p = open_ok(options(true));
  auto tek = random_key();
  auto wrapped = p->wrap(*tek);
  BOOST_REQUIRE(wrapped.ok());
  auto back = p->unwrap(*wrapped);
  BOOST_REQUIRE(back.ok());
  BOOST_REQUIRE(retire_kmip_key(options(false), false).ok());
  BOOST_TEST(!p->unwrap(*wrapped).ok());
  const std::string text = log.out.str();
  BOOST_TEST_MESSAGE(text);
  for (const char* op : {"kmip: Locate uid=- ok", "kmip: Create uid=- ok",
                         "kmip: Activate uid=", "kmip: Get Attributes uid=", "kmip: Encrypt uid=",
                         "kmip: Revoke uid=", "kmip: Decrypt uid=1 failed attempts=1"}) {
    BOOST_TEST(text.find(op) != std::string::npos, op);
  }
  BOOST_TEST(text.find("latency_us=") != std::string::npos);
  for (const std::string& secret :
       {to_hex(tek->view()), to_hex(std::span(wrapped->data() + 29, 32))}) {
    BOOST_TEST(text.find(secret) == std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
