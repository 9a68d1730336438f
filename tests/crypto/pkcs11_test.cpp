// The pkcs11 master-key provider against a real SoftHSM2 token, created in a temporary
// SOFTHSM2_CONF directory by softhsm2-util inside the test.
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>

#include "crypto/env_provider.h"
#include "crypto/key_gate.h"
#include "crypto/pkcs11_provider.h"
#include "crypto/random.h"
#include "tests/crypto/gate_fixtures.h"
#include "tests/crypto/pkcs11_fixture.h"
#include "tests/crypto/test_util.h"

using namespace dbvault;
using namespace dbvault::crypto;
using namespace dbvault::crypto::test;

namespace {

template <typename T>
void expect_refused(const Result<T>& r, std::string_view part) {
  BOOST_REQUIRE_MESSAGE(!r.ok(), "expected refusal: " << part);
  BOOST_TEST(r.error().code == sqlstate::kSystemError, r.error().message);
  BOOST_TEST(r.error().message.find(part) != std::string::npos, r.error().message);
  BOOST_TEST(r.error().message.find(SoftHsm::kPin) == std::string::npos);
  BOOST_TEST(r.error().message.find(SoftHsm::kSoPin) == std::string::npos);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(pkcs11, SoftHsm)

BOOST_AUTO_TEST_CASE(mek_is_generated_in_the_token_and_wraps_and_unwraps_there) {
  auto created = open_pkcs11_provider(options(/*create=*/true));
  BOOST_REQUIRE_MESSAGE(created.ok(), (created.ok() ? "" : created.error().message));
  MasterKeyProvider& p = **created;
  BOOST_TEST(p.kind() == "pkcs11");
  BOOST_TEST(p.key_id() == "dbvault-mek");
  BOOST_TEST(p.check().ok());
  auto tek = random_key();
  auto wrapped = p.wrap(*tek);
  BOOST_REQUIRE_MESSAGE(wrapped.ok(), (wrapped.ok() ? "" : wrapped.error().message));
  BOOST_TEST(wrapped->size() == 40u);  // RFC 5649 of 32 bytes
  auto back = p.unwrap(*wrapped);
  BOOST_REQUIRE_MESSAGE(back.ok(), (back.ok() ? "" : back.error().message));
  BOOST_TEST(back->equals(*tek));
  for (std::size_t pos : {std::size_t{0}, std::size_t{20}, std::size_t{39}}) {
    auto bad = *wrapped;
    bad[pos] ^= 0x01;
    expect_refused(p.unwrap(bad), "cannot unwrap");
  }
  auto kcv = key_check_value(p);
  BOOST_REQUIRE(kcv.ok());
  created->reset();
  // The key persists in the token; opening again (without create) finds the same key.
  auto reopened = open_pkcs11_provider(options(false));
  BOOST_REQUIRE(reopened.ok());
  BOOST_TEST((*key_check_value(**reopened) == *kcv));
  auto again = (*reopened)->unwrap(*wrapped);
  BOOST_REQUIRE(again.ok());
  BOOST_TEST(again->equals(*tek));
}

BOOST_AUTO_TEST_CASE(token_missing_is_refused) {
  auto o = options(true);
  o.token_label = "no-such-token";
  expect_refused(open_pkcs11_provider(o), "not found");
  o = options(true);
  o.token_label.clear();
  o.slot_id = 4242;
  expect_refused(open_pkcs11_provider(o), "in slot 4242 not found");
}

BOOST_AUTO_TEST_CASE(wrong_or_missing_pin_is_refused) {
  {
    ScopedEnv wrong("DBVAULT_PKCS11_PIN", "0000-wrong");
    expect_refused(open_pkcs11_provider(options(true)), "incorrect PIN");
  }
  {
    ScopedEnv unset("DBVAULT_PKCS11_PIN", std::nullopt);
    expect_refused(open_pkcs11_provider(options(true)),
                   "DBVAULT_PKCS11_PIN (the user PIN) is not set");
  }
  BOOST_TEST(open_pkcs11_provider(options(true)).ok());  // the right PIN still works
}

BOOST_AUTO_TEST_CASE(missing_mek_or_module_is_refused) {
  expect_refused(open_pkcs11_provider(options(false)), "master key \"dbvault-mek\" not found");
  auto o = options(true);
  o.module_path = "/nonexistent/libpkcs11.so";
  expect_refused(open_pkcs11_provider(o), "cannot be loaded");
  o = options(true);
  o.key_label = "bad label";
  auto r = open_pkcs11_provider(o);
  BOOST_TEST(!r.ok());
}

BOOST_AUTO_TEST_CASE(full_path_through_store_and_gate_and_token_removal_fails_closed) {
  auto mek = open_pkcs11_provider(options(true));
  BOOST_REQUIRE(mek.ok());
  TempDir data("pkcs11data");
  ManualClock clock(TimePoint(std::chrono::seconds(1'700'000'000)));
  auto store = TekStore::open(data.path() / "keys", std::move(*mek), clock);
  BOOST_REQUIRE_MESSAGE(store.ok(), (store.ok() ? "" : store.error().message));
  const auto scope = KeyScope::tablespace("users");
  BOOST_REQUIRE((*store)->create_tek(scope).ok());
  InMemoryAuthorizer authorizer;
  InMemoryAuditSink audit;
  authorizer.grant(7, scope);
  KeyGate gate(**store, authorizer, audit, clock);
  const SessionRef s{7, "carol"};
  auto h = gate.release(s, scope);
  BOOST_REQUIRE_MESSAGE(h.ok(), (h.ok() ? "" : h.error().message));
  auto sealed = h->aead()->seal(bytes_of("secret row"), {});
  BOOST_REQUIRE(sealed.ok());

  remove_token();  // the HSM token goes away
  auto after = gate.release(s, scope);
  expect_refused(after, "unreachable");
  BOOST_TEST(h->expired());  // cached keys were zeroized
  BOOST_TEST(gate.cached_keys() == 0u);
  expect_refused(gate.release(s, scope), "unreachable");  // and every release fails
}

BOOST_AUTO_TEST_CASE(mek_rotation_from_env_to_hsm_and_between_hsm_keys) {
  ScopedEnv hex("DBVAULT_MASTER_KEY_HEX",
                "8f3a1c9e5b7d20461fa8c3e95d7b0a2c4e6f8091a2b3c4d5e6f708192a3b4c5d");
  ScopedEnv id("DBVAULT_MASTER_KEY_ID", "env-1");
  auto env = open_env_provider();
  BOOST_REQUIRE(env.ok());
  TempDir data("pkcs11rot");
  ManualClock clock(TimePoint(std::chrono::seconds(1'700'000'000)));
  auto store = TekStore::open(data.path() / "keys", std::move(*env), clock);
  BOOST_REQUIRE(store.ok());
  const auto scope = KeyScope::audit();
  BOOST_REQUIRE((*store)->create_tek(scope).ok());
  auto before = (*store)->unwrap(scope, std::nullopt);
  auto sealed = Aead::create(before->info.algorithm, before->key)->seal(bytes_of("audit row"), {});

  auto hsm1 = open_pkcs11_provider(options(true));
  BOOST_REQUIRE(hsm1.ok());
  BOOST_REQUIRE((*store)->rotate_mek(std::move(*hsm1)).ok());
  auto o2 = options(true);
  o2.key_label = "dbvault-mek-2";
  auto hsm2 = open_pkcs11_provider(o2);
  BOOST_REQUIRE(hsm2.ok());
  BOOST_REQUIRE((*store)->rotate_mek(std::move(*hsm2)).ok());
  auto after = (*store)->unwrap(scope, std::nullopt);
  BOOST_REQUIRE(after.ok());
  BOOST_TEST(after->info.mek_id == "dbvault-mek-2");
  BOOST_TEST(Aead::create(after->info.algorithm, after->key)->open(*sealed, {}).ok());
  store->reset();
  // The first HSM key is retired: a server configured with it refuses to start.
  auto first = open_pkcs11_provider(options(false));
  BOOST_REQUIRE(first.ok());
  auto stale = TekStore::open(data.path() / "keys", std::move(*first), clock);
  expect_refused(stale, "was retired");
}

BOOST_AUTO_TEST_SUITE_END()
