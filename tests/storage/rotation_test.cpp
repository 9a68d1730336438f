// TEK rotation of an encrypted file (storage/rotation_reencrypt.h, PageKey::ring,
// TdeVfs::install_key): a key ring reads pages of every version it holds and seals under the
// newest; FileReencryption rewrites every page online, under concurrent writers, and proves the
// file under the new version alone; a step killed half-way (SIGKILL) is run again and finishes.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <thread>

#include "storage/rotation_reencrypt.h"
#include "tests/storage/vfs_fixture.h"

namespace dbvault::storage::vfs::test {
namespace {

std::shared_ptr<const PageKey> key_of(const crypto::SecretBytes& bytes, std::uint32_t version) {
  auto k = PageKey::from_secret(crypto::AeadAlgorithm::kAes256Gcm, version, bytes);
  BOOST_REQUIRE(k.ok());
  return *k;
}

std::shared_ptr<const PageKey> ring_of(std::vector<std::shared_ptr<const PageKey>> keys) {
  auto r = PageKey::ring(keys);
  BOOST_REQUIRE(r.ok());
  return *r;
}

std::unique_ptr<TdeVfs> vfs_of(std::shared_ptr<const PageKey> key) {
  auto v = TdeVfs::create(std::move(key));
  BOOST_REQUIRE(v.ok());
  return std::move(*v);
}

void fill(sqlite3* db, int rows) {
  exec(db, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v BLOB)");
  exec(db, "BEGIN");
  for (int i = 0; i < rows; ++i) exec(db, "INSERT INTO t(v) VALUES (randomblob(300))");
  exec(db, "COMMIT");
}

PageCensus census_of(const std::filesystem::path& path, std::uint32_t version) {
  auto c = census(path, version);
  BOOST_REQUIRE(c.ok());
  return *c;
}

// Steps until done (each step must make progress or finish).
void rotate(sqlite3* db, const std::filesystem::path& path, std::shared_ptr<const PageKey> target) {
  FileReencryption r(db, path, std::move(target));
  for (int i = 0; i < 20; ++i) {
    auto p = r.step();
    BOOST_REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.error().message));
    if (p->done >= p->total) return;
  }
  BOOST_FAIL("re-encryption did not finish");
}

struct RotationFixture : VfsFixture {
  crypto::SecretBytes key2 = random_tek();
  std::shared_ptr<const PageKey> v1 = key_of(key, 1);
  std::shared_ptr<const PageKey> v2 = key_of(key2, 2);
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(rotation, RotationFixture)

BOOST_AUTO_TEST_CASE(a_key_ring_reads_old_pages_and_seals_new_ones_under_the_newest_version) {
  fill(open().get(), 500);
  BOOST_TEST(census_of(db_path(), 1).current == census_of(db_path(), 1).total);
  auto both = vfs_of(ring_of({v2, v1}));  // any order: seals under the highest
  BOOST_TEST(both->key_version() == 2u);
  auto db = open_encrypted(db_path(), *both);
  BOOST_REQUIRE(db.ok());
  BOOST_TEST(column(db->get(), "SELECT count(*) FROM t") == std::vector<std::string>{"500"});
  fill(db->get(), 100);
  exec(db->get(), "PRAGMA wal_checkpoint(TRUNCATE)");
  const auto c = census_of(db_path(), 2);
  BOOST_TEST(c.current > 0u);
  BOOST_TEST(c.current < c.total);  // old pages stay under version 1 until re-encrypted
}

// (Versions of two algorithms make a ring: a change of cipher, rotation_cipher_test.cpp.)
BOOST_AUTO_TEST_CASE(a_key_ring_refuses_a_version_twice) {
  BOOST_TEST(!PageKey::ring({v1, key_of(key2, 1)}).ok());
  BOOST_TEST(!PageKey::ring({}).ok());
}

BOOST_AUTO_TEST_CASE(reencryption_leaves_every_page_under_the_new_version_alone) {
  fill(open().get(), 2000);
  auto both = vfs_of(ring_of({v1, v2}));
  {
    auto db = open_encrypted(db_path(), *both);
    BOOST_REQUIRE(db.ok());
    rotate(db->get(), db_path(), v2);
  }
  const auto c = census_of(db_path(), 2);
  BOOST_TEST(c.current == c.total);
  BOOST_TEST(c.total > 100u);
  auto alone = vfs_of(v2);
  auto db = open_encrypted(db_path(), *alone);
  BOOST_REQUIRE(db.ok());
  BOOST_TEST(column(db->get(), "SELECT count(*) FROM t") == std::vector<std::string>{"2000"});
  BOOST_TEST(column(db->get(), "PRAGMA integrity_check") == std::vector<std::string>{"ok"});
  // The old version no longer opens the file: nothing of it is left that needs it.
  auto old = vfs_of(v1);
  auto stale = open_encrypted(db_path(), *old);
  BOOST_REQUIRE(!stale.ok());
  BOOST_TEST(stale.error().code == sqlstate::kSystemError);
}

BOOST_AUTO_TEST_CASE(the_proof_refuses_a_target_that_is_not_the_sealing_key) {
  fill(open().get(), 200);
  auto both = vfs_of(ring_of({v1, v2}));
  auto db = open_encrypted(db_path(), *both);
  BOOST_REQUIRE(db.ok());
  // A "version 2" of other bytes: the census counts trailers, the proof decrypts.
  FileReencryption r(db->get(), db_path(), key_of(random_tek(), 2));
  auto p = r.step();
  BOOST_REQUIRE(!p.ok());
  BOOST_TEST(p.error().code == sqlstate::kSystemError);
}

BOOST_AUTO_TEST_CASE(open_connections_take_an_installed_key_and_writers_go_on_meanwhile) {
  fill(open().get(), 1000);
  // One VFS for every connection, as the engine database has (Services::engine_vfs).
  auto shared = vfs_of(v1);
  std::atomic<bool> stop{false};
  std::atomic<int> committed{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&] {
      EncryptedOpenOptions o;
      o.busy_timeout_ms = 20000;
      auto db = open_encrypted(db_path(), *shared, o);
      if (!db) {
        ++failures;
        return;
      }
      while (!stop.load()) {
        if (try_exec(db->get(), "INSERT INTO t(v) VALUES (randomblob(200))") == SQLITE_OK) {
          ++committed;
        } else {
          ++failures;
        }
        if (try_exec(db->get(), "SELECT sum(length(v)) FROM t") != SQLITE_OK) ++failures;
      }
    });
  }
  while (committed.load() < 50) std::this_thread::yield();
  BOOST_REQUIRE(shared->install_key(ring_of({v1, v2})).ok());
  {
    auto db = open_encrypted(db_path(), *shared);
    BOOST_REQUIRE(db.ok());
    rotate(db->get(), db_path(), v2);
  }
  const int at_end = committed.load();
  while (committed.load() < at_end + 50) std::this_thread::yield();
  // Done: the ring gives way to the new version alone, under the writers' feet.
  BOOST_REQUIRE(shared->install_key(v2).ok());
  while (committed.load() < at_end + 100) std::this_thread::yield();
  stop = true;
  for (auto& t : writers) t.join();
  BOOST_TEST(failures.load() == 0);
  auto alone = vfs_of(v2);
  auto db = open_encrypted(db_path(), *alone);
  BOOST_REQUIRE(db.ok());
  BOOST_TEST(column(db->get(), "SELECT count(*) FROM t") ==
             std::vector<std::string>{std::to_string(1000 + committed.load())});
  BOOST_TEST(column(db->get(), "PRAGMA integrity_check") == std::vector<std::string>{"ok"});
}

// A newer version may have another algorithm (a change of cipher); the same version may not.
BOOST_AUTO_TEST_CASE(an_installed_key_must_not_go_back_a_version_nor_change_a_versions_algorithm) {
  auto shared = vfs_of(ring_of({v1, v2}));
  BOOST_TEST(!shared->install_key(v1).ok());
  auto chacha2 = PageKey::from_secret(crypto::AeadAlgorithm::kChaCha20Poly1305, 2, key2);
  BOOST_TEST(!shared->install_key(*chacha2).ok());
  BOOST_TEST(shared->key_version() == 2u);
  BOOST_TEST(!shared->renew_key().ok());  // no key source
  auto chacha3 = PageKey::from_secret(crypto::AeadAlgorithm::kChaCha20Poly1305, 3, key2);
  BOOST_TEST(shared->install_key(*chacha3).ok());
  BOOST_TEST(shared->key_version() == 3u);
}

BOOST_AUTO_TEST_CASE(a_step_killed_mid_vacuum_is_run_again_and_finishes) {
  fill(open().get(), 6000);
  auto both = vfs_of(ring_of({v1, v2}));
  const pid_t child = ::fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    auto db = open_encrypted(db_path(), *both);
    if (!db) ::_exit(2);
    for (;;) {
      FileReencryption r(db->get(), db_path(), v2);
      (void)r.step();
      sqlite3_exec(db->get(), "INSERT INTO t(v) VALUES (randomblob(10))", nullptr, nullptr,
                   nullptr);
    }
  }
  // Killed at some point of its VACUUMs and checkpoints (the writes of a VACUUM take a while).
  ::usleep(150 * 1000);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  auto db = open_encrypted(db_path(), *both);
  BOOST_REQUIRE_MESSAGE(db.ok(), (db.ok() ? "" : db.error().message));
  const auto rows = column(db->get(), "SELECT count(*) FROM t");
  BOOST_TEST(std::stoi(rows.at(0)) >= 6000);
  rotate(db->get(), db_path(), v2);
  db->reset();
  auto alone = vfs_of(v2);
  auto after = open_encrypted(db_path(), *alone);
  BOOST_REQUIRE(after.ok());
  BOOST_TEST(column(after->get(), "SELECT count(*) FROM t") == rows);
  BOOST_TEST(column(after->get(), "PRAGMA integrity_check") == std::vector<std::string>{"ok"});
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::storage::vfs::test
