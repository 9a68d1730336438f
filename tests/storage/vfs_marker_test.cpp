// No plaintext at rest: marker strings written into a table (UTF-8 and UTF-16 databases), an
// uncheckpointed WAL and an index are found in no file of the directory, in plain, UTF-16 or
// hex form, while the connection is open and after it closed.
#include <boost/test/unit_test.hpp>

#include "tests/storage/vfs_fixture.h"

namespace dbvault::storage::vfs::test {

BOOST_FIXTURE_TEST_SUITE(vfs_marker, VfsFixture)

BOOST_AUTO_TEST_CASE(no_marker_in_the_database_or_an_uncheckpointed_wal) {
  const std::vector<std::string> markers = {"TABLE-MARKER-alpha", "WAL-MARKER-bravo",
                                            "INDEX-MARKER-charlie", "secret_column_name"};
  for (const char* encoding : {"UTF-8", "UTF-16le"}) {
    remove_database(db_path());
    auto db = open();
    keep_wal(db.get());
    exec(db.get(), std::string("PRAGMA encoding = '") + encoding + "'");
    exec(db.get(), "CREATE TABLE t(id INTEGER PRIMARY KEY, secret_column_name TEXT, b BLOB)");
    exec(db.get(), "CREATE INDEX t_secret ON t(secret_column_name)");
    exec(db.get(),
         "INSERT INTO t VALUES (1, 'TABLE-MARKER-alpha', CAST('INDEX-MARKER-charlie' AS BLOB))");
    exec(db.get(), "PRAGMA wal_checkpoint(TRUNCATE)");  // the table row reaches the main file
    exec(db.get(), "INSERT INTO t VALUES (2, 'WAL-MARKER-bravo', x'00')");  // stays in the WAL
    BOOST_REQUIRE(std::filesystem::file_size(db_path().string() + "-wal") > 0u);
    BOOST_TEST(find_markers(dir.path(), markers).empty(),
               encoding << " open: " << find_markers(dir.path(), markers).size());
    BOOST_TEST(column(db.get(), "SELECT secret_column_name FROM t ORDER BY id") ==
               (std::vector<std::string>{"TABLE-MARKER-alpha", "WAL-MARKER-bravo"}));
    db.reset();
    BOOST_REQUIRE(std::filesystem::exists(db_path().string() + "-wal"));
    const auto found = find_markers(dir.path(), markers);
    BOOST_TEST(found.empty(), encoding << " closed: " << (found.empty() ? "" : found.front()));
  }
}

BOOST_AUTO_TEST_CASE(the_scanner_finds_plaintext_markers) {
  // The scan itself must be able to fail: a plain SQLite file holds the markers in every form.
  sqlite3* raw = nullptr;
  const auto plain = dir.path() / "plain.db";
  sqlite3_open_v2(plain.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  exec(raw,
       "CREATE TABLE t(a, b, c); INSERT INTO t VALUES ('PLAIN-MARKER', "
       "CAST(CAST('UTF16-MARKER' AS TEXT) AS BLOB), hex('HEX-MARKER'))");
  sqlite3_close_v2(raw);
  BOOST_TEST(find_markers(dir.path(), {"PLAIN-MARKER"}).size() == 1u);
  BOOST_TEST(find_markers(dir.path(), {"HEX-MARKER"}).size() == 1u);
  std::filesystem::remove(plain);
  sqlite3_open_v2(plain.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  exec(raw,
       "PRAGMA encoding = 'UTF-16le'; CREATE TABLE t(a); INSERT INTO t VALUES ('UTF16-MARKER')");
  sqlite3_close_v2(raw);
  BOOST_TEST(find_markers(dir.path(), {"UTF16-MARKER"}) ==
             std::vector<std::string>{"plain.db: utf16le UTF16-MARKER"});
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::storage::vfs::test
