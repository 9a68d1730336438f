// The engine database through the encrypting VFS (EngineOptions::vfs, as the server opens it):
// rows written through an engine connection reach no file in plaintext, another key opens
// neither the engine nor EXPLAIN VAULT's resolver (58000), and the file is not an SQLite
// database to a plain connection. (Every other storage suite runs over the encrypted engine
// too: EngineFixture sets the VFS.)
#include <sqlite3.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <iterator>

#include "storage/access_set.h"
#include "tests/storage/engine_fixture.h"

namespace dbvault::storage::test {
namespace {

std::string utf16le(const std::string& s) {
  std::string out;
  for (char c : s) out += std::string{c, '\0'};
  return out;
}

// The files under `dir` holding `marker` in plain or UTF-16 form.
std::vector<std::string> files_with(const std::filesystem::path& dir, const std::string& marker) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (data.find(marker) != std::string::npos || data.find(utf16le(marker)) != std::string::npos)
      out.push_back(entry.path().string());
  }
  return out;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(engine_tde, EngineFixture)

BOOST_AUTO_TEST_CASE(rows_written_through_the_engine_reach_no_file_in_plaintext) {
  const std::string marker = "TDE-ENGINE-MARKER-4711";
  exec(as("bob"), "INSERT INTO orders VALUES (7, 1, '" + marker + "')");
  BOOST_TEST(rows(as("bob"), "SELECT note FROM orders WHERE id = 7")[0][0] == marker);
  BOOST_TEST(std::filesystem::exists(engine_db.string() + "-wal"));
  BOOST_TEST(files_with(engine_db.parent_path(), marker).empty());
  BOOST_TEST(files_with(engine_db.parent_path(), "987-65-4321").empty());  // the fixture's ssn
  BOOST_TEST(files_with(engine_db.parent_path(), "financial_records").empty());  // the schema
}

BOOST_AUTO_TEST_CASE(another_key_opens_neither_the_engine_nor_the_resolver) {
  auto other = random_vfs();
  EngineOptions o;
  o.database = engine_db;
  o.vfs = other;
  auto e = Engine::open(o, *vault);
  BOOST_REQUIRE(!e.ok());
  BOOST_TEST(e.error().code == sqlstate::kSystemError);
  BOOST_TEST(e.error().message.find("the key does not decrypt it") != std::string::npos);
  auto wrong = SqliteAccessResolver::open(engine_db, other);
  BOOST_REQUIRE(!wrong.ok());
  BOOST_TEST(wrong.error().code == sqlstate::kSystemError);

  auto right = SqliteAccessResolver::open(engine_db, engine_vfs);
  BOOST_REQUIRE(right.ok());
  auto accesses = (*right)->accesses(*vault->snapshot(), "SELECT name FROM users");
  BOOST_REQUIRE(accesses.ok());
  BOOST_TEST(!accesses->names.empty());
}

BOOST_AUTO_TEST_CASE(a_plain_connection_does_not_read_the_engine_database) {
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open_v2(engine_db.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
                SQLITE_OK);
  const int rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  BOOST_TEST(rc == SQLITE_NOTADB);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::storage::test
