// The paced automatic checkpoint of connections through the VFS (checkpoint_pacing.h): while a
// reader keeps the WAL from being checkpointed, SQLite's own policy attempts a checkpoint after
// every commit past the threshold, and on an encrypted file each attempt that copies pages
// costs a write epoch of the page version table. Paced, the next attempt waits until the WAL
// has grown by a step.
#include <boost/test/unit_test.hpp>

#include "storage/vfs/checkpoint_pacing.h"
#include "tests/storage/vfs_fixture.h"

namespace dbvault::storage::vfs::test {
namespace fs = std::filesystem;
namespace {

constexpr int kThreshold = 20;
constexpr int kStep = 60;
constexpr std::uintmax_t kFrame = 4096 + 24;
constexpr int kFramesPerCommit = 3;  // a new leaf, the root, page 1

struct PacingFixture : VfsFixture {
  PacingFixture() {
    writer = open();
    install_checkpoint_pacing(writer.get(), kThreshold, kStep);
    exec(writer.get(), "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
  }
  // One commit of one row in a page of its own (a new frame per commit).
  void commit_row() { exec(writer.get(), "INSERT INTO t(v) VALUES (randomblob(3000))"); }
  std::uintmax_t wal_frames() const {
    const fs::path wal = db_path().string() + "-wal";
    return fs::exists(wal) ? (fs::file_size(wal) - 32) / kFrame : 0;
  }
  std::vector<std::uint8_t> main_file() const { return read_file(db_path()); }
  // Commits rows until a checkpoint changes the main file from `before` (at most 100).
  int commits_until_checkpoint(const std::vector<std::uint8_t>& before) {
    int n = 1;
    for (commit_row(); n < 100 && main_file() == before; ++n) commit_row();
    return n;
  }

  DatabasePtr writer;
};

BOOST_AUTO_TEST_SUITE(vfs_checkpoint_pacing)

BOOST_FIXTURE_TEST_CASE(a_blocked_checkpoint_is_retried_a_step_later_not_at_every_commit,
                        PacingFixture) {
  auto reader = open();
  exec(reader.get(), "BEGIN");
  BOOST_REQUIRE(column(reader.get(), "SELECT count(*) FROM t") == std::vector<std::string>{"0"});
  // Past the threshold: the attempts there copy nothing past the reader's snapshot (the WAL
  // cannot restart, so its size counts its frames).
  while (wal_frames() < kThreshold + 5) commit_row();
  exec(reader.get(), "COMMIT");

  // SQLite's policy checkpoints at the next commit (the reader is gone); paced, the next
  // attempt waits until the WAL has grown by a step past the last one (about 20 commits).
  const auto before = main_file();
  const int commits = commits_until_checkpoint(before);
  BOOST_TEST_MESSAGE("checkpoint after " << commits << " commits");
  BOOST_TEST(commits >= kStep / kFramesPerCommit - 5);
  BOOST_TEST(commits < 100);
}

BOOST_FIXTURE_TEST_CASE(after_a_complete_checkpoint_the_next_one_runs_at_the_threshold,
                        PacingFixture) {
  // No reader: each checkpoint completes, the WAL restarts, and the next checkpoint comes at
  // the threshold again (about 7 commits), not a step after the last attempt.
  const int first = commits_until_checkpoint(main_file());
  const int second = commits_until_checkpoint(main_file());
  BOOST_TEST_MESSAGE("checkpoints after " << first << " and " << second << " commits");
  BOOST_TEST(first <= kThreshold / kFramesPerCommit + 2);
  BOOST_TEST(second <= kThreshold / kFramesPerCommit + 2);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::storage::vfs::test
