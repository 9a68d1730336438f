// kill -9 in the middle of writes: a child process writes, the parent SIGKILLs it, then reopens
// through the VFS. Every commit the child reported is present and PRAGMA integrity_check is ok
// (WAL and rollback-journal modes); a hot rollback journal left behind is encrypted too and is
// rolled back on reopen.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <set>

#include "storage/vfs/page_format.h"
#include "tests/storage/vfs_fixture.h"

namespace dbvault::storage::vfs::test {
namespace {

// Runs `body` in a child process; returns its pid. The child never returns into the test.
template <typename Body>
pid_t spawn(Body body) {
  const pid_t pid = ::fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    body();
    ::_exit(0);
  }
  return pid;
}

void reap(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
}

// The child's write storm: one committed row per transaction, each id reported on `fd` after
// its COMMIT returned. In WAL mode a checkpoint runs every few pages, so the WAL restarts (and
// its state record changes phase) all along the storm.
void storm(const std::filesystem::path& path, TdeVfs& vfs, bool wal, int fd) {
  EncryptedOpenOptions o;
  o.wal = wal;
  auto db = open_encrypted(path, vfs, o);
  if (!db) ::_exit(2);
  if (sqlite3_exec(db->get(), "PRAGMA wal_autocheckpoint = 8", nullptr, nullptr, nullptr) !=
      SQLITE_OK)
    ::_exit(5);
  for (int i = 0;; ++i) {
    const std::string sql = "INSERT INTO t VALUES (" + std::to_string(i) + ", randomblob(600))";
    if (sqlite3_exec(db->get(), sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) ::_exit(3);
    if (::write(fd, &i, sizeof i) != sizeof i) ::_exit(4);
  }
}

// Commits 300 rows holding `marker` (rollback-journal mode), then a child overwrites them in a
// transaction that spills into the database file and is killed: a hot journal stays behind.
void leave_hot_journal(VfsFixture& fx, const std::string& marker) {
  {
    auto db = fx.open(false);
    exec(db.get(), "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
    exec(db.get(), "BEGIN");
    for (int i = 0; i < 300; ++i) {
      exec(db.get(), "INSERT INTO t VALUES (" + std::to_string(i) + ", '" + marker + "')");
    }
    exec(db.get(), "COMMIT");
  }
  int fds[2];
  BOOST_REQUIRE(::pipe(fds) == 0);
  const pid_t child = spawn([&] {
    ::close(fds[0]);
    EncryptedOpenOptions o;
    o.wal = false;
    auto db = open_encrypted(fx.db_path(), *fx.vfs, o);
    if (!db) ::_exit(2);
    // A tiny cache spills changed pages into the database file mid-transaction, after their
    // original content went to the journal.
    sqlite3_exec(db->get(), "PRAGMA cache_size = 2; BEGIN; UPDATE t SET v = 'overwritten'", nullptr,
                 nullptr, nullptr);
    const char done = 1;
    if (::write(fds[1], &done, 1) != 1) ::_exit(4);
    ::pause();  // killed here, inside the transaction
  });
  ::close(fds[1]);
  char done = 0;
  BOOST_REQUIRE(::read(fds[0], &done, 1) == 1);
  ::kill(child, SIGKILL);
  reap(child);
  ::close(fds[0]);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(vfs_crash, VfsFixture)

BOOST_AUTO_TEST_CASE(kill_9_during_a_write_storm_loses_no_commit) {
  for (const auto& [wal, kill_after] :
       {std::pair{true, 150u}, std::pair{true, 400u}, std::pair{true, 700u}, std::pair{false, 150u},
        std::pair{false, 400u}}) {
    BOOST_TEST_CHECKPOINT("wal " << wal << " kill after " << kill_after);
    remove_database(db_path());
    { exec(open(wal).get(), "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB)"); }
    int fds[2];
    BOOST_REQUIRE(::pipe(fds) == 0);
    const pid_t child = spawn([&] {
      ::close(fds[0]);
      storm(db_path(), *vfs, wal, fds[1]);
    });
    ::close(fds[1]);
    std::set<int> committed;
    int id = 0;
    while (committed.size() < kill_after && ::read(fds[0], &id, sizeof id) == sizeof id)
      committed.insert(id);
    ::kill(child, SIGKILL);
    while (::read(fds[0], &id, sizeof id) == sizeof id) committed.insert(id);
    ::close(fds[0]);
    reap(child);
    BOOST_REQUIRE(committed.size() >= kill_after);

    auto db = open(wal);
    BOOST_TEST(column(db.get(), "PRAGMA integrity_check") == std::vector<std::string>{"ok"});
    std::set<int> present;
    for (const auto& v : column(db.get(), "SELECT id FROM t")) present.insert(std::stoi(v));
    for (int c : committed) BOOST_TEST_REQUIRE(present.count(c) == 1u, "commit " << c << " lost");
  }
}

BOOST_AUTO_TEST_CASE(a_hot_rollback_journal_is_encrypted_and_rolled_back) {
  const std::string marker = "HOTJOURNAL-MARKER-4711";
  leave_hot_journal(*this, marker);
  const auto journal = std::filesystem::path(db_path().string() + "-journal");
  BOOST_REQUIRE(std::filesystem::exists(journal));
  BOOST_REQUIRE(std::filesystem::file_size(journal) > 4096u);
  BOOST_TEST(find_markers(dir.path(), {marker, "overwritten"}).empty());

  auto db = open(false);  // rolls the hot journal back through the VFS
  BOOST_TEST(column(db.get(), "SELECT count(*) FROM t WHERE v = '" + marker + "'") ==
             std::vector<std::string>{"300"});
  BOOST_TEST(column(db.get(), "PRAGMA integrity_check") == std::vector<std::string>{"ok"});
}

BOOST_AUTO_TEST_CASE(a_tampered_hot_journal_is_an_integrity_error) {
  leave_hot_journal(*this, "JOURNAL-TAMPER-MARKER");
  const auto journal = read_file(db_path().string() + "-journal");
  const std::size_t sector = load_be32(journal.data() + 20);
  const std::size_t page = load_be32(journal.data() + 24);
  BOOST_REQUIRE(page == 4096u && journal.size() >= sector + page + 8);
  copy_database(db_path(), dir.path() / "copy");
  const auto copy = dir.path() / "copy" / "ts.db";
  // Record 0: its page number, its image, its trailer, its checksum.
  for (std::size_t at : {sector + 3, sector + 4 + 100, sector + 4 + page - 1, sector + 4 + page}) {
    auto bytes = journal;
    bytes[at] ^= 0x01;
    write_file(copy.string() + "-journal", bytes);
    EncryptedOpenOptions o;
    o.create = false;
    o.wal = false;
    auto db = open_encrypted(copy, *vfs, o);
    BOOST_TEST_CONTEXT("journal byte " << at) {
      BOOST_REQUIRE(!db.ok());
      BOOST_TEST(db.error().code == sqlstate::kDataCorrupted);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::storage::vfs::test
