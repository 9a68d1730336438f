// The VFS keyed by a TEK the KeyGate released (KeyScope::tablespace): the key's algorithm comes
// from its record, every page write counts against the gate's persisted invocation budget, a
// locked key opens no file (58000), and an unauthorized session never gets a key to open with.
// A VFS with a KeySource asks for the key again once its cache entry expired, and refuses a
// different key.
#include <stdlib.h>

#include <boost/test/unit_test.hpp>
#include <thread>

#include "crypto/env_provider.h"
#include "crypto/key_gate.h"
#include "crypto/tek_store.h"
#include "tests/crypto/gate_fixtures.h"
#include "tests/storage/vfs_fixture.h"

namespace dbvault::storage::vfs::test {
namespace {

struct GateFixture {
  GateFixture() {
    ::setenv("DBVAULT_MASTER_KEY_HEX",
             "8f3a1c9e5b7d20461fa8c3e95d7b0a2c4e6f8091a2b3c4d5e6f708192a3b4c5d", 1);
    ::setenv("DBVAULT_MASTER_KEY_ID", "vfs-test-1", 1);
    auto mek = crypto::open_env_provider();
    ::unsetenv("DBVAULT_MASTER_KEY_HEX");
    ::unsetenv("DBVAULT_MASTER_KEY_ID");
    BOOST_REQUIRE(mek.ok());
    auto s = crypto::TekStore::open(dir.path() / "keys", std::move(*mek), clock);
    BOOST_REQUIRE(s.ok());
    store = std::move(*s);
    BOOST_REQUIRE(store->create_tek(users, crypto::AeadAlgorithm::kChaCha20Poly1305).ok());
    gate = std::make_unique<crypto::KeyGate>(*store, authorizer, audit, clock);
    authorizer.grant(alice.session_id, users);
  }

  std::unique_ptr<TdeVfs> vfs_for(const crypto::SessionRef& session) {
    auto handle = gate->release(session, users);
    BOOST_REQUIRE(handle.ok());
    auto key = PageKey::from_handle(std::move(*handle));
    BOOST_REQUIRE(key.ok());
    auto vfs = TdeVfs::create(std::move(*key));
    BOOST_REQUIRE(vfs.ok());
    return std::move(*vfs);
  }

  std::filesystem::path db_path() const { return dir.path() / "users.db"; }
  static EncryptedOpenOptions small_cache() {
    EncryptedOpenOptions o;
    o.cache_kib = 64;
    return o;
  }

  dbvault::test::TempDir dir{"vfs_gate"};
  ManualClock clock{TimePoint(std::chrono::seconds(1'700'000'000))};
  crypto::test::InMemoryAuthorizer authorizer;
  crypto::test::InMemoryAuditSink audit;
  std::unique_ptr<crypto::TekStore> store;
  std::unique_ptr<crypto::KeyGate> gate;
  const crypto::KeyScope users = crypto::KeyScope::tablespace("users");
  const crypto::SessionRef alice{1, "alice"};
  const crypto::SessionRef mallory{2, "mallory"};
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(vfs_keygate, GateFixture)

BOOST_AUTO_TEST_CASE(a_released_tek_opens_the_database_and_counts_its_page_writes) {
  {
    auto vfs = vfs_for(alice);
    BOOST_TEST((vfs->algorithm() == crypto::AeadAlgorithm::kChaCha20Poly1305));
    auto db = open_encrypted(db_path(), *vfs);
    BOOST_REQUIRE(db.ok());
    exec(db->get(), "CREATE TABLE t(v TEXT); INSERT INTO t VALUES ('gate')");
  }
  BOOST_TEST(audit.events().size() == 1u);
  auto reserved = store->reserved_invocations(users, 1);
  BOOST_REQUIRE(reserved.ok());
  BOOST_TEST(*reserved > 0u);  // the gate's budget reserved what the page writes used
  const auto bytes = read_file(db_path());
  BOOST_TEST(bytes[5] == static_cast<int>(crypto::AeadAlgorithm::kChaCha20Poly1305));

  auto vfs = vfs_for(alice);
  auto db = open_encrypted(db_path(), *vfs);
  BOOST_REQUIRE(db.ok());
  BOOST_TEST(column(db->get(), "SELECT v FROM t") == std::vector<std::string>{"gate"});
}

BOOST_AUTO_TEST_CASE(a_locked_key_opens_no_file) {
  auto vfs = vfs_for(alice);
  { BOOST_REQUIRE(open_encrypted(db_path(), *vfs).ok()); }
  const crypto::KeyScope scopes[] = {users};
  gate->lock_scopes(scopes);  // LOCK REALM: the released key is zeroized
  auto db = open_encrypted(db_path(), *vfs);
  BOOST_REQUIRE(!db.ok());
  BOOST_TEST(db.error().code == sqlstate::kSystemError);
}

// An open connection's file keeps its cipher keyed: a VFS that checks the key every page (the
// tablespace checkpointer's) still stops at the next page once the key is withdrawn (attack 11),
// and the connection cannot checkpoint the WAL into the file with it either.
BOOST_AUTO_TEST_CASE(an_open_connection_stops_at_the_next_page_once_the_key_is_locked) {
  auto vfs = vfs_for(alice);
  vfs->check_key_every_page();
  auto db = open_encrypted(db_path(), *vfs, small_cache());
  BOOST_REQUIRE(db.ok());
  exec(db->get(), "CREATE TABLE t(v TEXT)");
  exec(db->get(),
       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
       "INSERT INTO t SELECT printf('%0500d', i) FROM n");
  exec(db->get(), "PRAGMA cache_size = 0; PRAGMA shrink_memory");
  const auto before = read_file(db_path());

  const crypto::KeyScope scopes[] = {users};
  gate->lock_scopes(scopes);
  BOOST_TEST(sqlite3_exec(db->get(), "SELECT count(*) FROM t WHERE v LIKE '%7%'", nullptr, nullptr,
                          nullptr) != SQLITE_OK);
  BOOST_TEST(vfs->last_failure_was_key());
  BOOST_TEST(sqlite3_exec(db->get(), "INSERT INTO t VALUES ('after the lock')", nullptr, nullptr,
                          nullptr) != SQLITE_OK);
  sqlite3_wal_checkpoint_v2(db->get(), "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  db->reset();  // SQLite's checkpoint on close cannot use the key either
  BOOST_TEST((read_file(db_path()) == before));
}

BOOST_AUTO_TEST_CASE(an_open_connection_stops_once_its_authorization_ends) {
  authorizer.grant(alice.session_id, users, clock.now() + std::chrono::minutes(5));
  auto vfs = vfs_for(alice);
  vfs->check_key_every_page();
  auto db = open_encrypted(db_path(), *vfs, small_cache());
  BOOST_REQUIRE(db.ok());
  exec(db->get(), "CREATE TABLE t(v TEXT); INSERT INTO t VALUES ('in time')");
  clock.advance(std::chrono::minutes(6));
  std::this_thread::sleep_for(PageCipher::kLeaseCheckInterval * 2);  // the clock is asked again
  BOOST_TEST(sqlite3_exec(db->get(), "INSERT INTO t VALUES ('too late')", nullptr, nullptr,
                          nullptr) != SQLITE_OK);
}

BOOST_AUTO_TEST_CASE(an_unauthorized_session_gets_no_key) {
  auto handle = gate->release(mallory, users);
  BOOST_REQUIRE(!handle.ok());
  BOOST_TEST(handle.error().code == sqlstate::kInsufficientPrivilege);
  BOOST_TEST(audit.events().empty());
}

BOOST_AUTO_TEST_CASE(a_key_source_renews_a_key_whose_cache_entry_expired) {
  int calls = 0;
  auto vfs = TdeVfs::create([&]() -> Result<std::shared_ptr<const PageKey>> {
    ++calls;
    auto handle = gate->release(alice, users, 1);
    if (!handle) return std::move(handle).error();
    return PageKey::from_handle(std::move(*handle));
  });
  BOOST_REQUIRE(vfs.ok());
  {
    auto db = open_encrypted(db_path(), **vfs);
    BOOST_REQUIRE(db.ok());
    exec(db->get(), "CREATE TABLE t(v TEXT); INSERT INTO t VALUES ('renewed')");
  }
  clock.advance(std::chrono::minutes(16));  // past the gate's cache TTL (15 minutes)
  BOOST_TEST(gate->purge_expired() == 1u);  // the released key is zeroized
  auto db = open_encrypted(db_path(), **vfs);
  BOOST_REQUIRE(db.ok());
  BOOST_TEST(column(db->get(), "SELECT v FROM t") == std::vector<std::string>{"renewed"});
  BOOST_TEST(calls == 2);

  authorizer.revoke(alice.session_id, users);  // the next renewal is refused
  const crypto::KeyScope scopes[] = {users};
  gate->lock_scopes(scopes);
  auto refused = open_encrypted(db_path(), **vfs);
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.error().code == sqlstate::kSystemError);
}

BOOST_AUTO_TEST_CASE(a_key_source_cannot_swap_in_another_key) {
  int calls = 0;
  auto vfs = TdeVfs::create([&]() -> Result<std::shared_ptr<const PageKey>> {
    if (calls++ == 0) {
      auto handle = gate->release(alice, users, 1);
      if (!handle) return std::move(handle).error();
      return PageKey::from_handle(std::move(*handle));
    }
    return PageKey::from_secret(crypto::AeadAlgorithm::kAes256Gcm, 1, random_tek());
  });
  BOOST_REQUIRE(vfs.ok());
  { BOOST_REQUIRE(open_encrypted(db_path(), **vfs).ok()); }
  const crypto::KeyScope scopes[] = {users};
  gate->lock_scopes(scopes);
  auto db = open_encrypted(db_path(), **vfs);
  BOOST_REQUIRE(!db.ok());
  BOOST_TEST(db.error().code == sqlstate::kSystemError);
  BOOST_TEST(calls == 2);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::storage::vfs::test
