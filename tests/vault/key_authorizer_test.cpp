// Issue 9 item 13: crypto::KeyGate asks the vault (vault::KeyAuthorizer); a released handle
// stops working when the unlock that justified it ends — by LOCK REALM, LOCK ALL REALMS, token
// revocation or expiry (an injected clock, no sleeps).
#include "vault/key_authorizer.h"

#include <boost/test/unit_test.hpp>

#include "crypto/file_provider.h"
#include "tests/vault/vault_fixture.h"

namespace dbvault::vault::test {

using std::chrono::minutes;

namespace {

class NullKeyAccessSink final : public crypto::KeyAccessSink {
 public:
  Status record_key_access(const crypto::KeyAccessEvent&) override { return ok_status(); }
};

// The vault fixture plus a key store, a gate wired to the vault as the server wires it, and a
// catalog: tablespace "ts" holds users and financial_records; users' encrypted column is ssn.
struct KeyFixture : VaultFixture {
  MemoryScopeCatalog catalog;
  NullKeyAccessSink key_sink;
  std::unique_ptr<crypto::TekStore> store;
  std::unique_ptr<KeyAuthorizer> authorizer;
  std::unique_ptr<crypto::KeyGate> gate;
  const crypto::KeyScope ts = crypto::KeyScope::tablespace("ts");
  const crypto::KeyScope ssn = crypto::KeyScope::columns("main.users");

  KeyFixture() {
    cast();
    auto mek = crypto::create_file_provider(dir / "mek.key", "test-mek");
    BOOST_TEST_REQUIRE(mek.ok());
    auto s = crypto::TekStore::open(dir / "keys", std::move(*mek), clock);
    BOOST_TEST_REQUIRE(s.ok());
    store = std::move(*s);
    BOOST_TEST_REQUIRE(store->create_tek(ts).ok());
    BOOST_TEST_REQUIRE(store->create_tek(ssn).ok());
    catalog.set(ts, {ref("users"), ref("financial_records")});
    catalog.set(ssn, {ref("users", "ssn")});
    authorizer = std::make_unique<KeyAuthorizer>(*vault, catalog, clock);
    gate = std::make_unique<crypto::KeyGate>(*store, *authorizer, key_sink, clock);
    authorizer->set_gate(gate.get());
    vault->set_key_listener(authorizer.get());
    Session admin = login("sec_admin");
    ok(admin, "CREATE REALM pii REQUIRE VAULT PASSWORD 'Realm-Pw-1'");
    ok(admin, "ALTER REALM pii ADD COLUMN users.ssn");
  }
  ~KeyFixture() {
    vault->set_key_listener(nullptr);
    gate.reset();
  }

  static ast::ObjectRef ref(std::string table, std::string column = {}) {
    ast::ObjectRef r;
    r.table.name = std::move(table);
    r.column = std::move(column);
    return r;
  }

  crypto::TekHandle release(std::uint64_t id, const Session& s, const crypto::KeyScope& scope) {
    auto h = gate->release({id, s.user_name()}, scope);
    BOOST_TEST_REQUIRE(h.ok(), (h.ok() ? "" : h.error().message));
    return std::move(*h);
  }
  bool refused(std::uint64_t id, const Session& s, const crypto::KeyScope& scope) {
    auto h = gate->release({id, s.user_name()}, scope);
    return !h.ok() && h.error().code == sqlstate::kInsufficientPrivilege;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(key_authorizer, KeyFixture)

BOOST_AUTO_TEST_CASE(a_column_key_needs_every_realm_of_the_column_set) {
  Session bob = login("bob");
  authorizer->attach(7, bob);
  BOOST_TEST(refused(7, bob, ssn));  // pii is locked for bob
  // The tablespace's pages hold users.ssn, which pii protects: a column realm withholds the
  // page key too (attack6; tests/sql/attack6/tablespace_column_realm.test).
  BOOST_TEST(refused(7, bob, ts));
  ok(bob, "UNLOCK REALM pii PASSWORD 'Realm-Pw-1'");
  release(7, bob, ts);
  auto h = release(7, bob, ssn);
  BOOST_TEST(!h.expired());
  BOOST_TEST(refused(8, bob, ssn));  // not attached
  authorizer->attach(8, bob);
  BOOST_TEST(!gate->release({8, "mallory"}, ssn).ok());  // a user that is not the session's
  BOOST_TEST(refused(7, bob, crypto::KeyScope::audit()));
}

BOOST_AUTO_TEST_CASE(lock_realm_withdraws_the_released_key) {
  Session bob = login("bob");
  authorizer->attach(7, bob);
  ok(bob, "UNLOCK REALM pii PASSWORD 'Realm-Pw-1'");
  auto h = release(7, bob, ssn);
  auto whole = release(7, bob, ts);
  ok(bob, "LOCK REALM pii");
  BOOST_TEST(h.expired());
  BOOST_TEST(!h.aead().ok());
  // The tablespace key rested on pii too (its pages hold users.ssn): withdrawn with it.
  BOOST_TEST(whole.expired());
  BOOST_TEST(refused(7, bob, ssn));
  BOOST_TEST(refused(7, bob, ts));
}

BOOST_AUTO_TEST_CASE(lock_all_realms_withdraws_the_released_key) {
  Session bob = login("bob");
  authorizer->attach(7, bob);
  ok(bob, "UNLOCK REALM pii PASSWORD 'Realm-Pw-1'");
  auto h = release(7, bob, ssn);
  ok(bob, "LOCK ALL REALMS");
  BOOST_TEST(h.expired());
  BOOST_TEST(refused(7, bob, ssn));
}

BOOST_AUTO_TEST_CASE(the_handle_stops_when_the_unlock_expires) {
  Session bob = login("bob");
  authorizer->attach(7, bob);
  ok(bob, "UNLOCK REALM pii PASSWORD 'Realm-Pw-1'");  // a one-hour token
  auto h = release(7, bob, ssn);
  clock.advance(minutes(59));
  BOOST_TEST(!h.expired());
  BOOST_TEST(h.aead().ok());
  clock.advance(minutes(1));
  BOOST_TEST(h.expired());  // not 15 minutes later: at the unlock's expiry
  BOOST_TEST(!h.aead().ok());
  BOOST_TEST(refused(7, bob, ssn));
}

BOOST_AUTO_TEST_CASE(revoking_the_token_withdraws_the_released_key) {
  Session bob = login("bob");
  authorizer->attach(7, bob);
  auto u = ok(bob, "UNLOCK REALM pii PASSWORD 'Realm-Pw-1'");
  auto h = release(7, bob, ssn);
  ok(bob, "REVOKE VAULT TOKEN '" + u.rows.at(0).at(2) + "'");
  BOOST_TEST(h.expired());
  BOOST_TEST(refused(7, bob, ssn));
}

BOOST_AUTO_TEST_CASE(an_unresolvable_object_admits_nobody) {
  const auto ghost = crypto::KeyScope::columns("main.ghost");
  BOOST_TEST_REQUIRE(store->create_tek(ghost).ok());
  catalog.set(ghost, {ref("ghost", "secret")});
  Session bob = login("bob");
  authorizer->attach(7, bob);
  BOOST_TEST(refused(7, bob, ghost));
  authorizer->detach(7);
  BOOST_TEST(refused(7, bob, ts));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::vault::test
