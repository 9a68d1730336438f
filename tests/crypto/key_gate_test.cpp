// KeyGate: authorization, key_access auditing once per session and key, cache TTL with
// zeroization (ManualClock, no sleeps), LOCK REALM, shutdown and rotation through the gate.
#include "crypto/key_gate.h"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <future>
#include <thread>

#include "crypto/env_provider.h"
#include "tests/crypto/gate_fixtures.h"
#include "tests/crypto/test_util.h"

using namespace dbvault;
using namespace dbvault::crypto;
using namespace dbvault::crypto::test;
using namespace std::chrono_literals;

namespace {

struct GateFixture {
  TempDir dir{"gate"};
  ManualClock clock{TimePoint(std::chrono::seconds(1'700'000'000))};
  InMemoryAuthorizer authorizer;
  InMemoryAuditSink audit;
  std::unique_ptr<TekStore> store;
  std::unique_ptr<KeyGate> gate;
  const KeyScope users = KeyScope::tablespace("users");
  const KeyScope hr = KeyScope::columns("main.salaries");
  const SessionRef alice{1, "alice"};
  const SessionRef bob{2, "bob"};

  GateFixture() {
    open();
    BOOST_REQUIRE(store->create_tek(users).ok());
    BOOST_REQUIRE(store->create_tek(hr).ok());
  }

  // Opens (again: a restart) the key store and a gate on it.
  void open() {
    gate.reset();
    store.reset();
    ScopedEnv h("DBVAULT_MASTER_KEY_HEX",
                "8f3a1c9e5b7d20461fa8c3e95d7b0a2c4e6f8091a2b3c4d5e6f708192a3b4c5d");
    ScopedEnv i("DBVAULT_MASTER_KEY_ID", "prod-1");
    auto mek = open_env_provider();
    BOOST_REQUIRE(mek.ok());
    auto s = TekStore::open(dir.path() / "keys", std::move(*mek), clock);
    BOOST_REQUIRE(s.ok());
    store = std::move(*s);
    gate = std::make_unique<KeyGate>(*store, authorizer, audit, clock);
  }

  TekHandle release(const SessionRef& s, const KeyScope& scope) {
    auto h = gate->release(s, scope);
    BOOST_REQUIRE_MESSAGE(h.ok(), (h.ok() ? "" : h.error().message));
    return std::move(*h);
  }
};

// The key's bytes, captured through the handle; the pointer stays valid while the handle lives.
std::pair<const std::uint8_t*, std::size_t> key_bytes(const TekHandle& h) {
  std::pair<const std::uint8_t*, std::size_t> out{nullptr, 0};
  BOOST_REQUIRE(h.with_key([&](const SecretBytes& k) { out = {k.data(), k.size()}; }).ok());
  return out;
}

bool all_zero(std::pair<const std::uint8_t*, std::size_t> bytes) {
  for (std::size_t i = 0; i < bytes.second; ++i) {
    if (bytes.first[i] != 0) return false;
  }
  return true;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(key_gate, GateFixture)

BOOST_AUTO_TEST_CASE(an_unauthorized_session_gets_no_key_and_no_audit_event) {
  auto r = gate->release(alice, users);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code == sqlstate::kInsufficientPrivilege);
  BOOST_TEST(r.error().message.find("tablespace:users") != std::string::npos);
  BOOST_TEST(audit.events().empty());
  BOOST_TEST(gate->cached_keys() == 0u);
}

BOOST_AUTO_TEST_CASE(key_access_is_audited_once_per_session_and_key) {
  authorizer.grant(1, users);
  authorizer.grant(1, hr);
  authorizer.grant(2, users);
  auto h = release(alice, users);
  BOOST_TEST(h.key_id() == "tablespace:users@v1");
  release(alice, users);
  release(alice, users);
  BOOST_REQUIRE(audit.events().size() == 1u);
  const auto e = audit.events()[0];
  BOOST_TEST(e.session_id == 1u);
  BOOST_TEST(e.user == "alice");
  BOOST_TEST(e.key_id == "tablespace:users@v1");
  BOOST_TEST(e.version == 1u);
  BOOST_TEST(e.mek_id == "prod-1");
  release(alice, hr);
  release(bob, users);
  BOOST_TEST(audit.events().size() == 3u);
  BOOST_TEST(gate->cached_keys() == 2u);  // one cache entry per key, shared by sessions
  gate->end_session(1);
  release(alice, users);
  BOOST_TEST(audit.events().size() == 4u);
  authorizer.revoke(1, users);  // authorization is asked on every release, cache or not
  BOOST_TEST(!gate->release(alice, users).ok());
}

BOOST_AUTO_TEST_CASE(no_key_is_released_when_the_audit_log_cannot_record_it) {
  authorizer.grant(1, users);
  audit.set_available(false);
  auto r = gate->release(alice, users);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code == sqlstate::kSystemError);
  audit.set_available(true);
  BOOST_TEST(gate->release(alice, users).ok());
  BOOST_TEST(audit.events().size() == 1u);
}

BOOST_AUTO_TEST_CASE(cache_expiry_zeroizes_the_key) {
  authorizer.grant(1, users);
  auto h = release(alice, users);
  auto bytes = key_bytes(h);
  BOOST_REQUIRE(bytes.second == 32u);
  BOOST_TEST(!all_zero(bytes));
  auto aead = h.aead();
  BOOST_REQUIRE(aead.ok());
  auto sealed = aead->seal(bytes_of("row"), {});
  BOOST_REQUIRE(sealed.ok());

  clock.advance(14min + 59s);
  BOOST_TEST(gate->purge_expired() == 0u);
  BOOST_TEST(!h.expired());
  clock.advance(1s);  // 15 minutes after the unwrap
  BOOST_TEST(gate->purge_expired() == 1u);
  BOOST_TEST(h.expired());
  BOOST_TEST(all_zero(bytes));  // the very bytes the handle pointed at
  BOOST_TEST(gate->cached_keys() == 0u);
  auto late = h.aead();
  BOOST_REQUIRE(!late.ok());
  BOOST_TEST(late.error().code == sqlstate::kSystemError);

  auto fresh = release(alice, users);  // unwraps again; same TEK
  auto again = fresh.aead();
  BOOST_REQUIRE(again.ok());
  BOOST_TEST(again->open(*sealed, {}).ok());
  BOOST_TEST(aead->budget().used() == 1u);
  BOOST_TEST(again->budget().used() == 1u);  // the invocation count survives the cache
}

// Issue 9 item 13: a handle lives no longer than the authorization it was released on (an
// unlock that expires in 5 minutes), although the cached key lives 15.
BOOST_AUTO_TEST_CASE(a_handle_stops_when_its_authorization_ends) {
  authorizer.grant(1, users, clock.now() + 5min);
  authorizer.grant(2, users);
  auto h = release(alice, users);
  auto other = release(bob, users);
  BOOST_TEST((h.authorized_until() == clock.now() + 5min));
  clock.advance(4min + 59s);
  BOOST_TEST(!h.expired());
  BOOST_TEST(h.aead().ok());
  clock.advance(1s);
  BOOST_TEST(h.expired());
  auto late = h.aead();
  BOOST_REQUIRE(!late.ok());
  BOOST_TEST(late.error().code == sqlstate::kSystemError);
  BOOST_TEST(!h.with_key([](const SecretBytes&) {}).ok());
  BOOST_TEST(!h.deterministic_aead().ok());
  BOOST_TEST(!other.expired());  // bob's authorization has no end
  BOOST_TEST(other.aead().ok());
  auto again = gate->release(alice, users);  // the authorizer says it ended: refused
  BOOST_REQUIRE(!again.ok());
  BOOST_TEST(again.error().code == sqlstate::kInsufficientPrivilege);
}

// Issue 9 item 15: the nonce budget of a key survives a restart of the gate and the store.
BOOST_AUTO_TEST_CASE(the_invocation_budget_survives_a_restart) {
  authorizer.grant(1, users);
  {
    auto aead = release(alice, users).aead();
    BOOST_REQUIRE(aead.ok());
    for (int i = 0; i < 3; ++i) BOOST_REQUIRE(aead->seal(bytes_of("page"), {}).ok());
    BOOST_TEST(aead->budget().used() == 3u);
  }
  open();  // a restart
  auto aead = release(alice, users).aead();
  BOOST_REQUIRE(aead.ok());
  // Counting resumes above everything reserved before (a block), never from 0.
  BOOST_TEST(aead->budget().used() >= 3u);
  BOOST_TEST(aead->budget().used() == InvocationBudget::kReserveBlock);
}

BOOST_AUTO_TEST_CASE(a_budget_whose_reservation_fails_refuses_to_seal) {
  std::uint64_t reserved_up_to = 0;
  bool fail = false;
  InvocationBudget budget(
      100, 10,
      [&](std::uint64_t up_to) -> Status {
        if (fail) return make_error(sqlstate::kSystemError, "disk full");
        reserved_up_to = up_to;
        return ok_status();
      },
      4);
  BOOST_TEST(budget.try_consume());  // invocation 11: reserves through 14
  BOOST_TEST(reserved_up_to == 14u);
  for (int i = 0; i < 3; ++i) BOOST_TEST(budget.try_consume());  // 12..14: no reservation
  fail = true;
  BOOST_TEST(!budget.try_consume());  // 15 needs one, and it fails: refused
  fail = false;
  BOOST_TEST(budget.try_consume());  // 16: through 18
  BOOST_TEST(reserved_up_to == 18u);
}

BOOST_AUTO_TEST_CASE(release_purges_expired_keys_and_a_custom_ttl_applies) {
  KeyGate short_gate(*store, authorizer, audit, clock, KeyGateOptions{30s, 4096});
  authorizer.grant(1, users);
  authorizer.grant(1, hr);
  auto h = short_gate.release(alice, users);
  BOOST_REQUIRE(h.ok());
  clock.advance(31s);
  BOOST_REQUIRE(short_gate.release(alice, hr).ok());  // purges on the way
  BOOST_TEST(h->expired());
  BOOST_TEST(short_gate.cached_keys() == 1u);
}

BOOST_AUTO_TEST_CASE(lock_realm_and_shutdown_zeroize_cached_keys) {
  authorizer.grant(1, users);
  authorizer.grant(1, hr);
  auto u = release(alice, users);
  auto s = release(alice, hr);
  const auto ub = key_bytes(u), sb = key_bytes(s);
  const KeyScope locked[] = {hr};
  gate->lock_scopes(locked);
  BOOST_TEST(s.expired());
  BOOST_TEST(all_zero(sb));
  BOOST_TEST(!u.expired());
  gate.reset();  // shutdown
  BOOST_TEST(u.expired());
  BOOST_TEST(all_zero(ub));
}

BOOST_AUTO_TEST_CASE(the_cache_evicts_and_zeroizes_beyond_its_capacity) {
  KeyGate small(*store, authorizer, audit, clock, KeyGateOptions{15min, 1});
  authorizer.grant(1, users);
  authorizer.grant(1, hr);
  auto first = small.release(alice, users);
  BOOST_REQUIRE(first.ok());
  clock.advance(1s);
  BOOST_REQUIRE(small.release(alice, hr).ok());
  BOOST_TEST(small.cached_keys() == 1u);
  BOOST_TEST(first->expired());
}

BOOST_AUTO_TEST_CASE(rotation_through_the_gate_switches_versions_and_keeps_old_data_readable) {
  authorizer.grant(1, users);
  auto v1 = release(alice, users);
  auto v1_aead = v1.aead();
  auto old_row = v1_aead->seal(bytes_of("old row"), bytes_of("users"));
  BOOST_REQUIRE(old_row.ok());
  std::vector<std::vector<std::uint8_t>> rows{*old_row};
  bool checked_during_rotation = false;
  auto step = [&](const UnwrappedTek& from, const UnwrappedTek& to) -> Result<RotationProgress> {
    // Meanwhile new writes get version 2 and old data is still readable through version 1.
    auto current = gate->release(alice, users);
    BOOST_TEST(current->info().version == 2u);
    auto old = gate->release(alice, users, 1);
    BOOST_REQUIRE(old.ok());
    BOOST_TEST(old->aead()->open(rows[0], bytes_of("users")).ok());
    checked_during_rotation = true;
    auto a = Aead::create(from.info.algorithm, from.key);
    auto b = Aead::create(to.info.algorithm, to.key);
    auto pt = a->open(rows[0], bytes_of("users"));
    rows[0] = *b->seal(*pt, bytes_of("users"));
    return RotationProgress{1, 1};
  };
  auto info = gate->rotate_tek(users, step, {});
  BOOST_REQUIRE(info.ok());
  BOOST_TEST(checked_during_rotation);
  BOOST_TEST(v1.expired());  // the retired version is zeroized
  auto v2 = release(alice, users);
  BOOST_TEST(v2.info().version == 2u);
  BOOST_TEST(v2.aead()->open(rows[0], bytes_of("users")).ok());
  auto gone = gate->release(alice, users, 1);
  BOOST_REQUIRE(!gone.ok());
  BOOST_TEST(gone.error().code == sqlstate::kUndefinedObject);
  BOOST_TEST(audit.events().size() == 2u);  // v1 before, v2 during; nothing twice
}

BOOST_AUTO_TEST_CASE(mek_rotation_through_the_gate_has_no_downtime) {
  authorizer.grant(1, users);
  auto before = release(alice, users);
  ScopedEnv h("DBVAULT_MASTER_KEY_HEX",
              "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  ScopedEnv i("DBVAULT_MASTER_KEY_ID", "prod-2");
  auto next = open_env_provider();
  BOOST_REQUIRE(next.ok());
  BOOST_REQUIRE(gate->rotate_mek(std::move(*next)).ok());
  BOOST_TEST(!before.expired());  // cached keys stay usable
  gate->clear();
  auto after = release(alice, users);  // unwrapped under the new MEK
  auto a = key_bytes(after);
  BOOST_TEST(a.second == 32u);
  BOOST_TEST(after.info().mek_id == "prod-2");
}

// Recording a key access waits for the audit log's flush. That wait must not hold the gate:
// other sessions' releases go on meanwhile, the waiting session gets its key only once the
// record is made, and a key locked meanwhile is not handed out.
BOOST_AUTO_TEST_CASE(a_slow_audit_record_holds_up_only_its_own_release) {
  authorizer.grant(alice.session_id, users);
  authorizer.grant(alice.session_id, hr);
  authorizer.grant(bob.session_id, users);
  release(bob, users);  // bob's access to users is already recorded
  audit.hold(alice.session_id);
  const std::size_t before = audit.events().size();
  auto alice_users = std::async(std::launch::async, [&] { return gate->release(alice, users); });
  BOOST_REQUIRE(audit.wait_entered(before + 1));
  auto bob_users = std::async(std::launch::async, [&] { return gate->release(bob, users); });
  const bool bob_done = bob_users.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
  const bool alice_waiting =
      alice_users.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready;
  audit.release_hold();
  BOOST_TEST(bob_done);       // not held up by alice's record
  BOOST_TEST(alice_waiting);  // no key before its record
  BOOST_TEST(bob_users.get().ok());
  BOOST_TEST(alice_users.get().ok());
  BOOST_TEST(audit.events().size() == before + 1);

  // A key locked while its access is being recorded is not handed out.
  audit.hold(alice.session_id);
  auto alice_hr = std::async(std::launch::async, [&] { return gate->release(alice, hr); });
  BOOST_REQUIRE(audit.wait_entered(before + 2));
  const KeyScope scopes[] = {hr};
  gate->lock_scopes(scopes);
  audit.release_hold();
  auto r = alice_hr.get();
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code.code() == "58000");
}

BOOST_AUTO_TEST_CASE(concurrent_releases_and_locks_are_safe) {
  for (std::uint64_t id = 1; id <= 4; ++id) authorizer.grant(id, users);
  std::atomic<bool> stop{false};
  std::atomic<int> sealed{0}, withdrawn{0};
  std::vector<std::thread> workers;
  for (std::uint64_t id = 1; id <= 4; ++id) {
    workers.emplace_back([&, id] {
      for (int i = 0; i < 200; ++i) {
        auto h = gate->release({id, "u" + std::to_string(id)}, users);
        if (!h.ok()) {  // locked while the release was under way: refused as withdrawn
          if (h.error().code.code() == "58000") ++withdrawn;
          continue;
        }
        auto aead = h->aead();
        if (!aead.ok()) {
          ++withdrawn;  // locked between release and use: refused, never a stale key
          continue;
        }
        if (aead->seal(bytes_of("row"), {}).ok()) ++sealed;
      }
    });
  }
  std::thread locker([&] {
    const KeyScope scopes[] = {users};
    while (!stop) {
      gate->lock_scopes(scopes);
      std::this_thread::yield();
    }
  });
  for (auto& w : workers) w.join();
  stop = true;
  locker.join();
  BOOST_TEST(sealed + withdrawn == 800);
  BOOST_TEST(audit.events().size() == 4u);  // once per session, however often re-unwrapped
}

BOOST_AUTO_TEST_SUITE_END()
