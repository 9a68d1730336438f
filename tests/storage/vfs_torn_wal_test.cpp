// A WAL frame torn by a crash is what SQLite makes of a torn frame, an uncommitted tail that
// recovery ignores, not tampering; and a crash inside a checkpoint is no integrity error. The tear
// is injected deterministically: a child process writes through the VFS over a "tearing" VFS that,
// at its Nth write to the WAL, writes that write only up to the next 4 KiB memory page boundary
// (where SIGKILL can cut a write) and exits without closing anything. The parent reopens: every
// commit the child reported is present, PRAGMA integrity_check is ok. (vfs_crash does the same with
// real kill -9 timing.)
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <set>

#include "tests/storage/vfs_fixture.h"

namespace dbvault::storage::vfs::test {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kPage = 4096;
constexpr std::size_t kFrame = kPage + 24;

// The tearing VFS (child process only): the default VFS with xWrite of WAL files replaced.
sqlite3_vfs g_tearing{};
sqlite3_io_methods g_tearing_methods{};
const sqlite3_io_methods* g_real_methods = nullptr;
int g_writes_left = 0;
int g_torn_files = SQLITE_OPEN_WAL;  // the kind of file whose write is cut

int tearing_write(sqlite3_file* f, const void* buf, int amt, sqlite3_int64 off) {
  if (--g_writes_left > 0) return g_real_methods->xWrite(f, buf, amt, off);
  const sqlite3_int64 boundary = (off / 4096 + 1) * 4096;
  if (off + amt > boundary) g_real_methods->xWrite(f, buf, static_cast<int>(boundary - off), off);
  ::_exit(0);  // the crash: nothing closed, nothing synced after this
}

int tearing_open(sqlite3_vfs* v, sqlite3_filename name, sqlite3_file* file, int flags, int* out) {
  auto* root = static_cast<sqlite3_vfs*>(v->pAppData);
  const int rc = root->xOpen(root, name, file, flags, out);
  if (rc == SQLITE_OK && (flags & g_torn_files) && file->pMethods != nullptr) {
    g_real_methods = file->pMethods;
    g_tearing_methods = *file->pMethods;
    g_tearing_methods.xWrite = tearing_write;
    file->pMethods = &g_tearing_methods;
  }
  return rc;
}

// Makes the tearing VFS the default (the TdeVfs created after it layers over it).
void install_tearing_vfs(int torn_files, int tear_at_write) {
  g_torn_files = torn_files;
  sqlite3_vfs* root = sqlite3_vfs_find(nullptr);
  g_tearing = *root;
  g_tearing.zName = "dbvault-test-tearing";
  g_tearing.pAppData = root;
  g_tearing.xOpen = tearing_open;
  g_writes_left = tear_at_write;
  if (sqlite3_vfs_register(&g_tearing, 1) != SQLITE_OK) ::_exit(6);
}

// Child: rows inserted one per transaction, each id reported on `fd` after its COMMIT returned,
// until the tearing write ends the process.
[[noreturn]] void torn_storm(const fs::path& path, const crypto::SecretBytes& key, int torn_files,
                             int tear_at, int fd) {
  install_tearing_vfs(torn_files, tear_at);
  auto vfs = make_vfs(key);
  auto db = open_encrypted(path, *vfs);
  if (!db) ::_exit(2);
  sqlite3_exec(db->get(), "PRAGMA wal_autocheckpoint = 8", nullptr, nullptr, nullptr);
  for (int i = 0;; ++i) {
    const std::string sql = "INSERT INTO t VALUES (" + std::to_string(i) + ", randomblob(900))";
    if (sqlite3_exec(db->get(), sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) ::_exit(3);
    if (::write(fd, &i, sizeof i) != sizeof i) ::_exit(4);
  }
}

// Runs the storm in a child that crashes at write `tear_at` to a file of kind `torn_files`,
// then reopens: every reported commit is present and the database is intact.
void crash_and_check(VfsFixture& fx, int torn_files, int tear_at) {
  remove_database(fx.db_path());
  { exec(fx.open().get(), "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB)"); }
  int fds[2];
  BOOST_REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    torn_storm(fx.db_path(), fx.key, torn_files, tear_at, fds[1]);
  }
  ::close(fds[1]);
  std::set<int> committed;
  int id = 0;
  while (::read(fds[0], &id, sizeof id) == sizeof id) committed.insert(id);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  BOOST_REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  EncryptedOpenOptions o;
  o.create = false;
  auto db = open_encrypted(fx.db_path(), *fx.vfs, o);
  BOOST_REQUIRE_MESSAGE(db.ok(), (db.ok() ? "" : db.error().message));
  BOOST_TEST(column(db->get(), "PRAGMA integrity_check") == std::vector<std::string>{"ok"});
  std::set<int> present;
  for (const auto& v : column(db->get(), "SELECT id FROM t")) present.insert(std::stoi(v));
  for (int c : committed) BOOST_TEST_REQUIRE(present.count(c) == 1u, "commit " << c);
  // Writing again resolves a write epoch the crash left pending (page_versions.h).
  exec(db->get(), "INSERT INTO t VALUES (-1, x'00'); PRAGMA wal_checkpoint(TRUNCATE)");
  BOOST_TEST(column(db->get(), "PRAGMA integrity_check") == std::vector<std::string>{"ok"});
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(vfs_torn_wal, VfsFixture)

BOOST_AUTO_TEST_CASE(a_wal_write_torn_by_a_crash_loses_no_commit_and_is_no_integrity_error) {
  // Every write of the first WAL generation and of the restarted ones that overwrite older
  // frames (a checkpoint every 8 pages). Write 91 is the second half of a frame over an older
  // frame of the same page: the new image under the older salts (wal_file.cpp, salts_altered).
  for (int tear_at = 2; tear_at < 200; ++tear_at) {
    BOOST_TEST_CONTEXT("torn WAL write " << tear_at) {
      crash_and_check(*this, SQLITE_OPEN_WAL, tear_at);
    }
  }
}

// A crash in the middle of a checkpoint leaves pages of a write epoch not yet recorded in the
// page version table: they are read under the pending epoch, and the next writer records them.
BOOST_AUTO_TEST_CASE(a_crash_inside_a_checkpoint_loses_no_commit_and_is_no_integrity_error) {
  for (int tear_at : {2, 3, 5, 8, 13, 21, 34, 55}) {
    BOOST_TEST_CONTEXT("crash at main-file write " << tear_at) {
      crash_and_check(*this, SQLITE_OPEN_MAIN_DB, tear_at);
    }
  }
}

// A frame rewritten in place inside the transaction being written (SQLite spills a page, then
// changes it again) and torn there: its transaction has no commit frame yet, so it is an
// uncommitted tail. The same damage before a commit frame that authenticates is tampering
// (vfs_tamper/a_flipped_byte_in_any_wal_frame_is_refused).
BOOST_AUTO_TEST_CASE(a_damaged_frame_of_a_transaction_without_its_commit_is_an_uncommitted_tail) {
  std::size_t committed_frames = 0;
  {
    auto db = open();
    keep_wal(db.get());
    exec(db.get(), "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
    exec(db.get(), "INSERT INTO t VALUES (1, 'committed')");
    committed_frames = (fs::file_size(db_path().string() + "-wal") - 32) / kFrame;
    exec(db.get(), "BEGIN");
    for (int i = 2; i < 60; ++i)
      exec(db.get(),
           "INSERT INTO t VALUES (" + std::to_string(i) + ", '" + std::string(500, 'u') + "')");
    exec(db.get(), "COMMIT");
    copy_database(db_path(), dir.path() / "copy");
  }
  const auto copy = dir.path() / "copy" / "ts.db";
  auto wal = read_file(copy.string() + "-wal");
  BOOST_REQUIRE(wal.size() >= 32 + (committed_frames + 3) * kFrame);
  // Cut before the big transaction's commit frame (the crash came before it was written) and
  // tear its first frame's image.
  wal.resize(32 + (committed_frames + 2) * kFrame);
  wal[32 + committed_frames * kFrame + 24 + 2000] ^= 0x5a;
  write_file(copy.string() + "-wal", wal);
  EncryptedOpenOptions o;
  o.create = false;
  auto db = open_encrypted(copy, *vfs, o);
  BOOST_REQUIRE_MESSAGE(db.ok(), (db.ok() ? "" : db.error().message));
  BOOST_TEST(column(db->get(), "SELECT group_concat(v) FROM t") ==
             std::vector<std::string>{"committed"});
  BOOST_TEST(column(db->get(), "PRAGMA integrity_check") == std::vector<std::string>{"ok"});
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::storage::vfs::test
