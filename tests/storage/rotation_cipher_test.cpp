// A change of cipher (ALTER TABLESPACE ... ENABLE ENCRYPTION, docs/encryption.md §12.5): a
// rotation whose new version has the other algorithm. A key ring then holds versions of two
// algorithms; each page opens under the algorithm of the version its trailer names, and page
// 1's header names the algorithm of the version that sealed page 1 (bound to it as AAD), so it
// is truthful at every moment of the re-encryption.
#include <boost/test/unit_test.hpp>

#include "storage/rotation_reencrypt.h"
#include "tests/storage/vfs_fixture.h"

namespace dbvault::storage::vfs::test {
namespace {

constexpr auto kAes = crypto::AeadAlgorithm::kAes256Gcm;
constexpr auto kChaCha = crypto::AeadAlgorithm::kChaCha20Poly1305;
constexpr std::size_t kHeaderAlgorithm = 5;  // byte of the file header (§3.3)

std::shared_ptr<const PageKey> key_of(crypto::AeadAlgorithm algorithm,
                                      const crypto::SecretBytes& bytes, std::uint32_t version) {
  auto k = PageKey::from_secret(algorithm, version, bytes);
  BOOST_REQUIRE(k.ok());
  return *k;
}

std::unique_ptr<TdeVfs> vfs_of(const std::vector<std::shared_ptr<const PageKey>>& keys) {
  auto ring = PageKey::ring(keys);
  BOOST_REQUIRE_MESSAGE(ring.ok(), (ring.ok() ? "" : ring.error().message));
  auto v = TdeVfs::create(*ring);
  BOOST_REQUIRE(v.ok());
  return std::move(*v);
}

void fill(sqlite3* db, int rows) {
  exec(db, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v BLOB)");
  exec(db, "BEGIN");
  for (int i = 0; i < rows; ++i) exec(db, "INSERT INTO t(v) VALUES (randomblob(300))");
  exec(db, "COMMIT");
}

std::uint8_t header_algorithm(const std::filesystem::path& path) {
  const auto bytes = read_file(path);
  BOOST_REQUIRE(bytes.size() > kHeaderAlgorithm);
  return bytes[kHeaderAlgorithm];
}

std::string count_of(TdeVfs& vfs, const std::filesystem::path& path) {
  auto db = open_encrypted(path, vfs);
  BOOST_REQUIRE_MESSAGE(db.ok(), (db.ok() ? "" : db.error().message));
  return column(db->get(), "SELECT count(*) FROM t").at(0);
}

struct CipherFixture : VfsFixture {
  crypto::SecretBytes key2 = random_tek();
  std::shared_ptr<const PageKey> aes1 = key_of(kAes, key, 1);
  std::shared_ptr<const PageKey> chacha2 = key_of(kChaCha, key2, 2);
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(rotation_cipher, CipherFixture)

BOOST_AUTO_TEST_CASE(a_ring_of_two_algorithms_seals_under_the_newest_and_opens_both) {
  fill(open().get(), 300);  // AES-256-GCM, version 1
  BOOST_TEST(header_algorithm(db_path()) == static_cast<std::uint8_t>(kAes));
  auto both = vfs_of({aes1, chacha2});
  BOOST_TEST(both->key_version() == 2u);
  {
    auto db = open_encrypted(db_path(), *both);
    BOOST_REQUIRE(db.ok());
    fill(db->get(), 300);  // the file grows: page 1 is sealed again, under version 2
    exec(db->get(), "PRAGMA wal_checkpoint(TRUNCATE)");
  }
  const auto c = census(db_path(), 2);
  BOOST_REQUIRE(c.ok());
  BOOST_TEST(c->current > 0u);
  BOOST_TEST(c->current < c->total);  // pages of both versions, so of both algorithms
  // Page 1 was sealed under ChaCha20-Poly1305: its header says so.
  BOOST_TEST(header_algorithm(db_path()) == static_cast<std::uint8_t>(kChaCha));
  BOOST_TEST(count_of(*both, db_path()) == "600");
  // The old version alone no longer opens the file (58000, never garbage).
  auto old = make_vfs(key, kAes);
  auto stale = open_encrypted(db_path(), *old);
  BOOST_REQUIRE(!stale.ok());
  BOOST_TEST(stale.error().code == sqlstate::kSystemError);
}

BOOST_AUTO_TEST_CASE(reencryption_moves_every_page_to_the_other_cipher) {
  fill(open().get(), 2000);
  auto both = vfs_of({aes1, chacha2});
  {
    auto db = open_encrypted(db_path(), *both);
    BOOST_REQUIRE(db.ok());
    FileReencryption r(db->get(), db_path(), chacha2);
    bool done = false;
    for (int i = 0; i < 20 && !done; ++i) {
      auto p = r.step();
      BOOST_REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.error().message));
      done = p->done >= p->total;
    }
    BOOST_REQUIRE(done);
  }
  BOOST_TEST(header_algorithm(db_path()) == static_cast<std::uint8_t>(kChaCha));
  auto v2 = vfs_of({chacha2});
  BOOST_TEST(count_of(*v2, db_path()) == "2000");
  auto db = open_encrypted(db_path(), *v2);
  BOOST_REQUIRE(db.ok());
  BOOST_TEST(column(db->get(), "PRAGMA integrity_check") == std::vector<std::string>{"ok"});
  // The same bytes as version 2 under the other algorithm do not open it.
  auto wrong = vfs_of({key_of(kAes, key2, 2)});
  BOOST_TEST(!open_encrypted(db_path(), *wrong).ok());
}

BOOST_AUTO_TEST_CASE(the_header_algorithm_is_authenticated_with_page_one) {
  fill(open().get(), 50);
  auto bytes = read_file(db_path());
  bytes[kHeaderAlgorithm] = static_cast<std::uint8_t>(kChaCha);  // a lie about the cipher
  write_file(db_path(), bytes);
  auto both = vfs_of({aes1, key_of(kChaCha, key2, 2)});
  auto db = open_encrypted(db_path(), *both);
  const bool refused = !db.ok() || try_exec(db->get(), "SELECT count(*) FROM t") != SQLITE_OK;
  BOOST_TEST(refused);
}

BOOST_AUTO_TEST_CASE(a_vfs_takes_a_newer_version_of_another_algorithm_but_not_the_same_one) {
  auto shared = vfs_of({aes1});
  fill(open_encrypted(db_path(), *shared)->get(), 100);
  // The same version under another algorithm is another key: refused.
  BOOST_TEST(!shared->install_key(key_of(kChaCha, key, 1)).ok());
  auto ring = PageKey::ring({aes1, chacha2});
  BOOST_REQUIRE(ring.ok());
  BOOST_REQUIRE(shared->install_key(*ring).ok());
  BOOST_TEST((shared->algorithm() == kChaCha));
  BOOST_TEST(count_of(*shared, db_path()) == "100");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::storage::vfs::test
