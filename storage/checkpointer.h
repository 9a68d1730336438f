// Checkpointer: the WAL checkpoints of one engine database file (the engine database, or one
// tablespace file), run on a thread of its own instead of on the committing session's thread
// (docs/engine.md, "Checkpoints").
//
// SQLite's automatic checkpoint runs inside the commit that takes the WAL past its threshold,
// on that session's thread; through the encrypting VFS every attempt that copies pages also
// opens a write epoch of the page version table (docs/encryption.md §3.6: two -tdv writes, a
// sync of the file and of its directory), so the session that happens to commit then waits for
// four more fsyncs. The engine's session connections run no checkpoint: their WAL hook calls
// signal(), and this thread checkpoints on a connection of its own through the same VFS.
//
// Policy, with `frames` the WAL's size as the last commit or attempt saw it:
//   - below threshold_frames: nothing;
//   - else a PASSIVE checkpoint (it never waits for, nor blocks, a session). When readers keep
//     it from completing, the next attempt comes once the WAL has grown by step_frames more,
//     or after retry_ms with no commit at all (so a WAL left behind by a reader that has
//     ended is checkpointed without waiting for another commit);
//   - past hard_cap_frames (readers have kept every PASSIVE attempt from completing): a
//     TRUNCATE checkpoint, which waits up to escalation_wait_ms for the readers of old
//     snapshots to end (holding the write lock meanwhile, so sessions' commits wait as for
//     any write lock), restarts the WAL and truncates its file: the WAL stays bounded. If it
//     does not complete in time, the next escalation comes 4 x escalation_wait_ms later at the
//     earliest (so commits are held back at most a fifth of the time). A PASSIVE checkpoint
//     that completes on a WAL past the cap (its readers ended) is followed at once by a
//     TRUNCATE, which then only waits for the readers still on the WAL's last snapshot.
//   - stop(): a final TRUNCATE checkpoint, then the thread ends.
// An error other than "busy" (an I/O error, a page that does not authenticate) is logged
// (file and SQLSTATE, never data) and kept: status() returns it until an attempt succeeds
// again (attempts go on every retry_ms), and the engine fails every new statement with the
// engine database's (fail closed). A failed checkpoint loses nothing: the committed frames
// stay in the WAL.
//
// Thread-safety: signal(), status() and stop() may be called from any thread.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/result.h"
#include "storage/checkpoint_options.h"
#include "storage/vfs/encrypted_db.h"

namespace dbvault::storage {

class Checkpointer {
 public:
  // The checkpoint connection and what must outlive it (its VFS), closed first.
  struct Db {
    std::shared_ptr<const void> keep;
    vfs::DatabasePtr db;
  };
  // Opens the checkpoint connection, on the checkpointer's thread when it first needs one.
  // nullopt: no connection can be had now (e.g. no key released for a tablespace); the
  // attempt is skipped without an error. An error is kept as status().
  using Opener = std::function<Result<std::optional<Db>>()>;

  // Starts the thread. `label` names the file in log lines; `keep_open`: the connection
  // stays open between attempts (false: it is closed after each one, so that it holds no key
  // and no file between them). REQUIRES: the options' values > 0.
  Checkpointer(std::string label, Opener open, bool keep_open, CheckpointerOptions options = {});
  ~Checkpointer();  // stop()
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // From a WAL hook: the WAL now holds `frames` frames. Cheap; never checkpoints itself.
  void signal(int frames);
  // The last attempt's error, or OK. failed() is its lock-free test.
  Status status() const;
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  // Runs the final TRUNCATE checkpoint (unless `final_checkpoint` is false, e.g. the file is
  // about to be removed) and joins the thread. Returns status() after it (the final
  // checkpoint's error, or the last attempt's when there was none). Idempotent.
  Status stop(bool final_checkpoint = true);

 private:
  enum class Mode { kPassive, kTruncate };
  void run();
  void attempt(Mode mode);
  bool due_locked() const;
  void close_db();

  const std::string label_;
  const Opener open_;
  const bool keep_open_;
  const CheckpointerOptions options_;
  Db db_;  // the checkpointer thread's only
  std::atomic<bool> failed_{false};

  mutable std::mutex mu_;
  std::condition_variable cv_;
  int frames_ = 0;           // the WAL's size, as last seen
  int attempted_at_ = 0;     // the WAL's size at the last incomplete attempt; 0: none pending
  bool escalate_failed_ = false;
  bool stopping_ = false;
  bool final_checkpoint_ = true;
  std::optional<Error> error_;
  std::thread thread_;  // last: started when the rest is ready
};

}  // namespace dbvault::storage
