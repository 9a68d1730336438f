// The WAL state record (storage/vfs/wal_state.h): a WAL deleted or emptied while it held
// commits, a WAL header altered, an older WAL put back, a missing or altered record, or a
// database file emptied next to its record is an integrity error (XX001), never a silent loss.
#include <boost/test/unit_test.hpp>

#include "tests/storage/vfs_fixture.h"

namespace dbvault::storage::vfs::test {
namespace fs = std::filesystem;
namespace {

struct WalStateFixture : VfsFixture {
  fs::path copy_db() const { return dir.path() / "copy" / "ts.db"; }
  std::string copy(const char* suffix) const { return copy_db().string() + suffix; }

  // Commits kept in an uncheckpointed WAL, copied to copy/ while the connection is open.
  void committed_wal() {
    auto db = open();
    keep_wal(db.get());
    exec(db.get(), "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v TEXT)");
    for (int i = 0; i < 10; ++i) exec(db.get(), "INSERT INTO t(v) VALUES ('row')");
    copy_database(db_path(), dir.path() / "copy");
  }

  void expect_integrity_error(const std::string& what) {
    EncryptedOpenOptions o;
    o.create = false;
    auto db = open_encrypted(copy_db(), *vfs, o);
    if (db.ok()) {
      const int rc = try_exec(db->get(), "SELECT count(*) FROM t");
      BOOST_TEST_CONTEXT(what) { BOOST_TEST(rc != SQLITE_OK); }
      return;
    }
    BOOST_TEST_CONTEXT(what) {
      BOOST_TEST(db.error().code == sqlstate::kDataCorrupted);
      BOOST_TEST_MESSAGE(db.error().message);
    }
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(vfs_wal_state, WalStateFixture)

BOOST_AUTO_TEST_CASE(the_intact_copy_opens) {
  committed_wal();
  EncryptedOpenOptions o;
  o.create = false;
  auto db = open_encrypted(copy_db(), *vfs, o);
  BOOST_REQUIRE(db.ok());
  BOOST_TEST(column(db->get(), "SELECT count(*) FROM t") == std::vector<std::string>{"10"});
}

BOOST_AUTO_TEST_CASE(a_deleted_or_emptied_wal_is_an_integrity_error) {
  committed_wal();
  fs::remove(copy("-wal"));
  expect_integrity_error("WAL deleted");
  committed_wal();
  fs::resize_file(copy("-wal"), 0);
  expect_integrity_error("WAL emptied");
}

BOOST_AUTO_TEST_CASE(an_altered_wal_header_is_an_integrity_error) {
  committed_wal();
  const auto wal = read_file(copy("-wal"));
  for (std::size_t i = 0; i < 32; ++i) {
    auto bytes = wal;
    bytes[i] ^= 0x01;
    write_file(copy("-wal"), bytes);
    expect_integrity_error("WAL header byte " + std::to_string(i));
  }
}

BOOST_AUTO_TEST_CASE(an_older_wal_put_back_is_an_integrity_error) {
  auto db = open();
  keep_wal(db.get());
  exec(db.get(), "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
  exec(db.get(), "INSERT INTO t(v) VALUES ('old')");
  const auto old_wal = read_file(db_path().string() + "-wal");
  exec(db.get(), "PRAGMA wal_checkpoint(TRUNCATE)");  // the next commit starts a new generation
  exec(db.get(), "UPDATE t SET v = 'new'");
  copy_database(db_path(), dir.path() / "copy");
  db.reset();
  write_file(copy("-wal"), old_wal);
  expect_integrity_error("older WAL");
}

BOOST_AUTO_TEST_CASE(a_missing_or_altered_record_is_an_integrity_error) {
  committed_wal();
  fs::remove(copy("-tde"));
  expect_integrity_error("record deleted");
  committed_wal();
  auto record = read_file(copy("-tde"));
  BOOST_REQUIRE(record.size() == 72u);
  for (std::size_t i :
       {std::size_t{0}, std::size_t{9}, std::size_t{16}, std::size_t{24}, std::size_t{71}}) {
    auto bytes = record;
    bytes[i] ^= 0x01;
    write_file(copy("-tde"), bytes);
    expect_integrity_error("record byte " + std::to_string(i));
  }
}

BOOST_AUTO_TEST_CASE(an_emptied_database_file_is_an_integrity_error) {
  committed_wal();
  fs::resize_file(copy_db(), 0);
  fs::remove(copy("-wal"));
  expect_integrity_error("database emptied");
}

BOOST_AUTO_TEST_CASE(a_clean_close_and_a_truncating_checkpoint_reopen) {
  {
    auto db = open();
    exec(db.get(), "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) VALUES ('a')");
    exec(db.get(), "PRAGMA wal_checkpoint(TRUNCATE)");
    exec(db.get(), "INSERT INTO t(v) VALUES ('b')");
  }  // the last close checkpoints and deletes the WAL
  BOOST_TEST(!fs::exists(db_path().string() + "-wal"));
  auto db = open();
  BOOST_TEST(column(db.get(), "SELECT count(*) FROM t") == std::vector<std::string>{"2"});
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::storage::vfs::test
