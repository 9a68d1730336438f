// The encrypting VFS round-trips data in WAL and rollback-journal modes, creates its files with
// the reserved bytes its format needs, refuses what would bypass encryption (temporary files,
// mmap, a database without reserved bytes) and refuses a wrong key or a plaintext file with
// 58000.
#include <boost/test/unit_test.hpp>

#include "tests/storage/vfs_fixture.h"

namespace dbvault::storage::vfs::test {
namespace {

void fill(sqlite3* db, int rows) {
  exec(db, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v TEXT)");
  exec(db, "BEGIN");
  for (int i = 0; i < rows; ++i) {
    exec(db,
         "INSERT INTO t(v) VALUES ('row-" + std::to_string(i) + "-" + std::string(200, 'x') + "')");
  }
  exec(db, "COMMIT");
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(vfs_roundtrip, VfsFixture)

BOOST_AUTO_TEST_CASE(wal_and_delete_modes_round_trip_across_reopen) {
  for (bool wal : {true, false}) {
    remove_database(db_path());
    {
      auto db = open(wal);
      fill(db.get(), 500);
      exec(db.get(), "UPDATE t SET v = 'changed' WHERE id % 7 = 0");
      exec(db.get(), "DELETE FROM t WHERE id % 11 = 0");
    }
    auto db = open(wal);
    BOOST_TEST(column(db.get(), "SELECT count(*) FROM t") == std::vector<std::string>{"455"});
    BOOST_TEST(column(db.get(), "SELECT count(*) FROM t WHERE v = 'changed'") ==
               std::vector<std::string>{"65"});
    BOOST_TEST(column(db.get(), "PRAGMA integrity_check") == std::vector<std::string>{"ok"});
  }
}

BOOST_AUTO_TEST_CASE(chacha20_poly1305_round_trips_and_is_recorded_in_the_header) {
  auto chacha = make_vfs(key, crypto::AeadAlgorithm::kChaCha20Poly1305);
  {
    auto db = open_encrypted(db_path(), *chacha);
    BOOST_REQUIRE(db.ok());
    fill(db->get(), 100);
  }
  auto db = open_encrypted(db_path(), *chacha);
  BOOST_REQUIRE(db.ok());
  BOOST_TEST(column(db->get(), "SELECT count(*) FROM t") == std::vector<std::string>{"100"});
  const auto bytes = read_file(db_path());
  BOOST_TEST(bytes[5] == static_cast<int>(crypto::AeadAlgorithm::kChaCha20Poly1305));
  // The same key bytes under AES-256-GCM: the header says otherwise, refused.
  auto other = open_encrypted(db_path(), *vfs);
  BOOST_REQUIRE(!other.ok());
  BOOST_TEST(other.error().code == sqlstate::kSystemError);
}

BOOST_AUTO_TEST_CASE(a_new_database_reserves_the_page_trailer) {
  {
    auto db = open();
    fill(db.get(), 10);
    int reserve = -1;
    BOOST_REQUIRE(sqlite3_file_control(db.get(), "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve) ==
                  SQLITE_OK);
    BOOST_TEST(reserve == static_cast<int>(kReservedBytes));
  }
  const auto bytes = read_file(db_path());
  BOOST_REQUIRE(bytes.size() >= 4096);
  BOOST_TEST(std::string(bytes.begin(), bytes.begin() + 4) == "DBVT");
  BOOST_TEST(bytes[4] == kFormatVersion);
  BOOST_TEST(bytes[kSqliteReserveOffset] == kReservedBytes);
}

BOOST_AUTO_TEST_CASE(a_database_without_reserved_bytes_is_never_written) {
  sqlite3* raw = nullptr;
  BOOST_REQUIRE(sqlite3_open_v2(db_path().c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                vfs->name().c_str()) == SQLITE_OK);
  DatabasePtr db(raw);
  BOOST_TEST(try_exec(raw, "CREATE TABLE t(x)") != SQLITE_OK);
  BOOST_TEST(vfs->last_failure().find("reserved bytes") != std::string::npos);
  BOOST_TEST(std::filesystem::file_size(db_path()) == 0u);
}

BOOST_AUTO_TEST_CASE(the_wrong_key_is_refused_with_58000) {
  { fill(open().get(), 50); }
  auto other_key = random_tek();
  auto wrong = make_vfs(other_key);
  auto db = open_encrypted(db_path(), *wrong);
  BOOST_REQUIRE(!db.ok());
  BOOST_TEST(db.error().code == sqlstate::kSystemError);
  BOOST_TEST_MESSAGE(db.error().message);
  BOOST_TEST(db.error().message.find("wrong key") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_wrong_key_is_refused_on_an_uncheckpointed_wal_too) {
  auto db = open();
  keep_wal(db.get());
  fill(db.get(), 50);
  copy_database(db_path(), dir.path() / "copy");
  db.reset();
  auto other_key = random_tek();
  auto wrong = make_vfs(other_key);
  auto copy = open_encrypted(dir.path() / "copy" / "ts.db", *wrong);
  BOOST_REQUIRE(!copy.ok());
  BOOST_TEST(copy.error().code == sqlstate::kSystemError);
}

BOOST_AUTO_TEST_CASE(plaintext_and_encrypted_files_do_not_mix) {
  { fill(open().get(), 5); }
  sqlite3* raw = nullptr;  // plain SQLite cannot read the encrypted file
  sqlite3_open_v2(db_path().c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
  DatabasePtr plain(raw);
  BOOST_TEST((try_exec(raw, "SELECT * FROM t") & 0xff) == SQLITE_NOTADB);
  plain.reset();

  const auto plain_path = dir.path() / "plain.db";  // the VFS refuses a plaintext database
  sqlite3_open_v2(plain_path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  exec(raw, "CREATE TABLE t(x); INSERT INTO t VALUES (1)");
  sqlite3_close_v2(raw);
  auto db = open_encrypted(plain_path, *vfs);
  BOOST_REQUIRE(!db.ok());
  BOOST_TEST(db.error().code == sqlstate::kSystemError);
  BOOST_TEST(db.error().message.find("not an encrypted dbvault database") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(temporary_files_never_reach_the_disk) {
  auto db = open();
  fill(db.get(), 2000);
  // temp_store = MEMORY (set by open_encrypted): a large sort and a temporary table work.
  BOOST_TEST(column(db.get(), "SELECT count(*) FROM (SELECT v FROM t ORDER BY v DESC, id)") ==
             std::vector<std::string>{"2000"});
  exec(db.get(), "CREATE TEMP TABLE tt AS SELECT * FROM t");
  exec(db.get(), "BEGIN; UPDATE t SET v = v || 'y'; UPDATE t SET v = v || 'z'; COMMIT");
  // Asked to put temporary files on disk, the VFS refuses them.
  exec(db.get(), "PRAGMA temp_store = FILE; PRAGMA temp.cache_size = 4");
  BOOST_TEST(try_exec(db.get(), "CREATE TEMP TABLE t2 AS SELECT * FROM t") != SQLITE_OK);
  BOOST_TEST(vfs->last_failure().find("temp_store") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(connections_of_one_process_share_a_database_across_wal_restarts) {
  auto a = open();
  auto b = open();
  auto reader = open();
  exec(a.get(), "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
  for (int i = 0; i < 300; ++i) {
    sqlite3* writer = i % 2 == 0 ? a.get() : b.get();
    exec(writer, "INSERT INTO t(v) VALUES ('" + std::string(300, 'a' + i % 26) + "')");
    if (i % 50 == 49) exec(writer, "PRAGMA wal_checkpoint(RESTART)");
    if (i % 37 == 0) {
      BOOST_TEST(column(reader.get(), "SELECT count(*) FROM t") ==
                 std::vector<std::string>{std::to_string(i + 1)});
    }
  }
  b.reset();
  reader.reset();
  a.reset();
  auto db = open();
  BOOST_TEST(column(db.get(), "SELECT count(*) FROM t") == std::vector<std::string>{"300"});
  BOOST_TEST(column(db.get(), "PRAGMA integrity_check") == std::vector<std::string>{"ok"});
}

BOOST_AUTO_TEST_CASE(vacuum_and_vacuum_into_stay_encrypted) {
  {
    auto db = open();
    fill(db.get(), 300);
    exec(db.get(), "DELETE FROM t WHERE id % 2 = 0; UPDATE t SET v = 'VACUUM-MARKER' WHERE id = 1");
    exec(db.get(), "VACUUM");
    exec(db.get(), "VACUUM INTO '" + (dir.path() / "copy.db").string() + "'");
    BOOST_TEST(column(db.get(), "SELECT count(*) FROM t") == std::vector<std::string>{"150"});
  }
  BOOST_TEST(find_markers(dir.path(), {"VACUUM-MARKER"}).empty());
  auto copy = open_encrypted(dir.path() / "copy.db", *vfs);
  BOOST_REQUIRE(copy.ok());
  BOOST_TEST(column(copy->get(), "SELECT v FROM t WHERE id = 1") ==
             std::vector<std::string>{"VACUUM-MARKER"});
  BOOST_TEST(column(copy->get(), "PRAGMA integrity_check") == std::vector<std::string>{"ok"});
}

BOOST_AUTO_TEST_CASE(memory_mapping_stays_off) {
  auto db = open();
  fill(db.get(), 10);
  BOOST_TEST(column(db.get(), "PRAGMA mmap_size = 268435456") == std::vector<std::string>{"0"});
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::storage::vfs::test
