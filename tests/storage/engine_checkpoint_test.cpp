// The engine's background checkpointers (storage/checkpointer.h, docs/engine.md "Checkpoints"),
// on the encrypted engine database: a session's commit never checkpoints on its own thread, a
// WAL that readers keep from being checkpointed stays bounded and is brought down once they
// end without another commit, and stop() leaves the WAL checkpointed.
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <mutex>
#include <thread>

#include "storage/vfs/checkpoint_pacing.h"
#include "storage/vfs/encrypted_db.h"
#include "tests/storage/engine_fixture.h"

namespace dbvault::storage::test {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kThreshold = 100;
constexpr int kStep = 50;
constexpr int kCap = 400;
constexpr std::uintmax_t kFrame = 4096 + 24;

// The fixture's engine, reopened with small checkpoint thresholds.
struct CheckpointFixture : EngineFixture {
  CheckpointFixture() {
    engine.reset();
    EngineOptions o;
    o.database = engine_db;
    o.vfs = engine_vfs;
    o.checkpoints.threshold_frames = kThreshold;
    o.checkpoints.step_frames = kStep;
    o.checkpoints.hard_cap_frames = kCap;
    o.checkpoints.retry_ms = 50;
    auto e = Engine::open(o, *vault);
    BOOST_TEST_REQUIRE(e.ok(), (e.ok() ? "" : e.error().message));
    engine = std::move(e).value();
  }
  ~CheckpointFixture() { vfs::set_checkpoint_observer({}); }

  // One commit of about four pages (overflow pages of a 12 KB value).
  void commit_row() { exec(as("bob"), "INSERT INTO log VALUES (randomblob(12000))"); }
  std::uintmax_t wal_frames() const {
    const fs::path wal = engine_db.string() + "-wal";
    std::error_code ec;
    const auto size = fs::file_size(wal, ec);
    return ec || size < 32 ? 0 : (size - 32) / kFrame;
  }
  // A connection of its own through the engine's VFS, past the engine (a reader).
  vfs::DatabasePtr reader() {
    auto db = vfs::open_encrypted(engine_db, *engine_vfs);
    BOOST_TEST_REQUIRE(db.ok(), (db.ok() ? "" : db.error().message));
    return std::move(db).value();
  }
  static void run(sqlite3* db, const char* sql) {
    BOOST_TEST_REQUIRE(sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK,
                       sql << ": " << sqlite3_errmsg(db));
  }
  // Holds a read snapshot on `db` (BEGIN and a read).
  static void begin_read(sqlite3* db) {
    run(db, "BEGIN");
    run(db, "SELECT count(*) FROM log");
  }
  template <typename Pred>
  static bool eventually(Pred pred, std::chrono::milliseconds limit = 10s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > end) return false;
      std::this_thread::sleep_for(10ms);
    }
    return true;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(engine_checkpoint, CheckpointFixture)

BOOST_AUTO_TEST_CASE(a_sessions_commit_never_checkpoints_on_its_own_thread) {
  std::mutex mu;
  int on_session_thread = 0;
  int elsewhere = 0;
  const auto session_thread = std::this_thread::get_id();
  vfs::set_checkpoint_observer([&](sqlite3*) {
    std::lock_guard lock(mu);
    ++(std::this_thread::get_id() == session_thread ? on_session_thread : elsewhere);
  });
  // About 1,200 frames: past this engine's threshold and SQLite's own (1,000), which the
  // paced checkpoint of connections outside the engine keeps.
  for (int i = 0; i < 300; ++i) commit_row();
  BOOST_TEST(eventually([&] {
    std::lock_guard lock(mu);
    return elsewhere > 0;
  }));
  std::lock_guard lock(mu);
  BOOST_TEST(on_session_thread == 0);
  BOOST_TEST_MESSAGE("checkpoints: " << elsewhere << " on the checkpointer's thread");
}

BOOST_AUTO_TEST_CASE(the_wal_stays_bounded_while_readers_overlap_without_end) {
  // Two readers take turns holding a snapshot, each opening its next one before the other
  // ends: a PASSIVE checkpoint never completes and the WAL never restarts on its own.
  std::atomic<bool> stop{false};
  std::atomic<int> snapshots{0};
  std::atomic<int> failures{0};
  vfs::DatabasePtr r[2] = {reader(), reader()};
  std::thread readers([&] {  // no Boost.Test macro off the test's thread
    auto sql = [&](sqlite3* db, const char* text) {
      if (sqlite3_exec(db, text, nullptr, nullptr, nullptr) != SQLITE_OK) failures.fetch_add(1);
    };
    auto begin = [&](sqlite3* db) {
      sql(db, "BEGIN");
      sql(db, "SELECT count(*) FROM log");
    };
    begin(r[0].get());
    for (int i = 1; !stop.load(); ++i) {
      std::this_thread::sleep_for(20ms);
      begin(r[i % 2].get());
      sql(r[(i + 1) % 2].get(), "COMMIT");
      snapshots.fetch_add(1);
    }
    sql(r[0].get(), "ROLLBACK");
    sql(r[1].get(), "ROLLBACK");
  });
  std::uintmax_t most = 0;
  int commits = 0;
  while (commits < 1500) {  // about 6,000 frames, 15 x the cap
    commit_row();
    ++commits;
    most = std::max(most, wal_frames());
  }
  stop = true;
  readers.join();
  BOOST_TEST_MESSAGE("WAL at most " << most << " frames over " << commits << " commits, "
                                    << snapshots.load() << " reader snapshots");
  BOOST_TEST(snapshots.load() > 10);
  BOOST_TEST(failures.load() <= 2);  // at most the final ROLLBACK of a reader with none open
  BOOST_TEST(most <= static_cast<std::uintmax_t>(2 * kCap));
}

BOOST_AUTO_TEST_CASE(a_wal_a_reader_held_is_brought_down_once_it_ends_without_a_commit) {
  auto r = reader();
  begin_read(r.get());
  while (wal_frames() < static_cast<std::uintmax_t>(kCap + 2 * kStep)) commit_row();  // the reader blocks every attempt
  const auto held = wal_frames();
  run(r.get(), "COMMIT");
  // No further commit: the checkpointer retries on its own, past the cap with TRUNCATE.
  BOOST_TEST(eventually([&] { return wal_frames() == 0; }),
             "the WAL still holds " << wal_frames() << " frames (" << held << " before)");
  BOOST_TEST(engine->health().ok());
}

BOOST_AUTO_TEST_CASE(stop_leaves_the_wal_checkpointed) {
  auto other = reader();  // another connection open: closing the engine's is not the last close
  for (int i = 0; i < 10; ++i) commit_row();  // below the threshold: no checkpoint yet
  BOOST_REQUIRE(wal_frames() > 0);
  BOOST_TEST(engine->stop().ok());
  BOOST_TEST(wal_frames() == 0);
  BOOST_TEST(engine->stop().ok());  // idempotent
  // Every row is in the main file: a fresh connection reads them with the WAL empty.
  BOOST_TEST(count("log") == 10);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::storage::test
