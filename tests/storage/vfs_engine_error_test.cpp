// What a reader sees through the server when a page does not authenticate: the engine's
// SQLite-to-SQLSTATE mapping (storage::engine_error, which every engine statement goes through)
// gives XX001 (data_corrupted, with the VFS's detail: which file, which page or frame) for a
// page or WAL frame that fails authentication, and the 58000 of a wrong key stays 58000.
#include <boost/test/unit_test.hpp>

#include "storage/compile.h"
#include "tests/storage/vfs_fixture.h"

namespace dbvault::storage::vfs::test {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kPage = 4096;

void fill(sqlite3* db) {
  exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
  exec(db, "BEGIN");
  for (int i = 0; i < 200; ++i)
    exec(db, "INSERT INTO t VALUES (" + std::to_string(i) + ", '" + std::string(300, 'v') + "')");
  exec(db, "COMMIT");
}

// Steps a full scan of t on `db` as the engine does; the engine's error for the failing step.
Error scan_error(sqlite3* db) {
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(db, "SELECT sum(length(v)) FROM t", -1, &st, nullptr);
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    }
  }
  sqlite3_finalize(st);
  BOOST_REQUIRE(rc != SQLITE_DONE);
  return engine_error(db, rc);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(vfs_engine_error, VfsFixture)

BOOST_AUTO_TEST_CASE(a_page_failing_authentication_is_data_corrupted_through_the_engine) {
  { fill(open().get()); }  // checkpointed on close: the rows are in the main file
  auto bytes = read_file(db_path());
  BOOST_REQUIRE(bytes.size() >= 10 * kPage);
  bytes[5 * kPage + 100] ^= 0x01;  // page 6, a leaf of t
  write_file(db_path(), bytes);
  auto db = open();
  const Error e = scan_error(db.get());
  BOOST_TEST(e.code == sqlstate::kDataCorrupted);
  BOOST_TEST(e.message.find("integrity error") != std::string::npos);
  BOOST_TEST(e.message.find("page 6 failed authentication") != std::string::npos, e.message);
}

BOOST_AUTO_TEST_CASE(a_wal_frame_failing_authentication_is_data_corrupted_through_the_engine) {
  {
    auto db = open();
    keep_wal(db.get());
    fill(db.get());
  }
  const fs::path wal = db_path().string() + "-wal";
  auto bytes = read_file(wal);
  BOOST_REQUIRE(bytes.size() > 32 + 10 * (24 + kPage));
  bytes[32 + 6 * (24 + kPage) + 24 + 50] ^= 0x01;  // the page image of frame 7
  write_file(wal, bytes);
  EncryptedOpenOptions o;
  o.create = false;
  auto db = open_encrypted(db_path(), *vfs, o);
  const Error e = db ? scan_error(db->get()) : db.error();
  BOOST_TEST(e.code == sqlstate::kDataCorrupted);
  BOOST_TEST(e.message.find("failed authentication") != std::string::npos, e.message);
}

BOOST_AUTO_TEST_CASE(a_corrupt_plain_database_is_data_corrupted_and_no_vfs_detail_is_invented) {
  // Without the VFS, SQLite's own corruption report maps to XX001 as well.
  sqlite3* raw = nullptr;
  const fs::path plain = dir.path() / "plain.db";
  BOOST_REQUIRE(sqlite3_open(plain.c_str(), &raw) == SQLITE_OK);
  DatabasePtr db(raw);
  fill(raw);
  const Error e = engine_error(raw, SQLITE_CORRUPT);
  BOOST_TEST(e.code == sqlstate::kDataCorrupted);
  BOOST_TEST(e.message.find("failed authentication") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::storage::vfs::test
