#include "storage/checkpointer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "storage/busy_wait.h"
#include "storage/compile.h"
#include "storage/vfs/checkpoint_pacing.h"

namespace dbvault::storage {
namespace {

using Clock = std::chrono::steady_clock;

bool busy(int rc) {
  const int primary = rc & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

}  // namespace

Checkpointer::Checkpointer(std::string label, Opener open, bool keep_open,
                           CheckpointerOptions options)
    : label_(std::move(label)),
      open_(std::move(open)),
      keep_open_(keep_open),
      options_(options),
      thread_([this] { run(); }) {}

Checkpointer::~Checkpointer() { (void)stop(); }

void Checkpointer::signal(int frames) {
  std::lock_guard lock(mu_);
  if (frames < attempted_at_) attempted_at_ = 0;  // the WAL restarted since that attempt
  frames_ = frames;
  if (due_locked()) cv_.notify_one();
}

Status Checkpointer::status() const {
  std::lock_guard lock(mu_);
  if (error_) return *error_;
  return ok_status();
}

Status Checkpointer::stop(bool final_checkpoint) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) final_checkpoint_ = final_checkpoint;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  return status();
}

// A new attempt right now: the WAL is past the threshold and has grown by a step since the last
// attempt (or there was none since it restarted).
bool Checkpointer::due_locked() const {
  if (frames_ < options_.threshold_frames) return false;
  return attempted_at_ == 0 || frames_ >= attempted_at_ + options_.step_frames;
}

void Checkpointer::run() {
  std::unique_lock lock(mu_);
  bool incomplete = false;  // the last attempt left frames behind: retry after retry_ms
  bool truncate_now = false;  // a complete PASSIVE left a WAL file past the cap: shrink it
  Clock::time_point escalate_after{};
  while (true) {
    const auto retry = std::chrono::milliseconds(options_.retry_ms);
    auto wake = [&] { return stopping_ || due_locked(); };
    if (truncate_now) {
      // At once: the frames are all in the file, only the readers still on the WAL are waited for.
    } else if (incomplete) {
      // Woken by a commit, or none for retry_ms: try again (a reader may have ended).
      (void)cv_.wait_for(lock, retry, wake);
    } else {
      cv_.wait(lock, wake);
    }
    if (stopping_) break;
    const bool cap = truncate_now || (frames_ >= options_.hard_cap_frames &&
                                      Clock::now() >= escalate_after);
    truncate_now = false;
    const int seen = frames_;
    lock.unlock();
    const Mode mode = cap ? Mode::kTruncate : Mode::kPassive;
    int log = -1;
    int copied = -1;
    int rc = SQLITE_OK;
    std::optional<Error> failure;
    if (!db_.db) {
      auto opened = open_();
      if (!opened) {
        failure = std::move(opened).error();
      } else if (*opened) {
        db_ = std::move(**opened);
        sqlite3_wal_hook(db_.db.get(), nullptr, nullptr);  // it commits nothing
        // The engine's busy wait: woken when a session ends a write, so a TRUNCATE gets the
        // write lock between back-to-back commits (SQLite's backing-off poll rarely would).
        install_busy_wait(db_.db.get(), options_.escalation_wait_ms);
      }
    }
    if (db_.db && !failure) {
      rc = vfs::run_wal_checkpoint(
          db_.db.get(), "main",
          mode == Mode::kTruncate ? SQLITE_CHECKPOINT_TRUNCATE : SQLITE_CHECKPOINT_PASSIVE, &log,
          &copied);
      if (rc != SQLITE_OK && !busy(rc)) failure = engine_error(db_.db.get(), rc);
    }
    notify_write_ended();  // sessions waiting for the write lock a TRUNCATE held
    const bool ran = db_.db != nullptr;
    if (!keep_open_) close_db();
    lock.lock();
    if (failure) {
      if (!error_ || error_->message != failure->message) {
        spdlog::error("checkpoint of {} failed ({}): {}", label_, failure->code.code(),
                      failure->message);
      }
      error_ = std::move(failure);
      failed_.store(true, std::memory_order_release);
      incomplete = true;
      continue;
    }
    if (error_) {
      // Without a connection nothing ran: no key is released (a tablespace whose realm was
      // locked), which is a wait, not a failure; the WAL keeps its frames meanwhile.
      if (ran) {
        spdlog::info("checkpoint of {}: succeeded again", label_);
      } else {
        spdlog::info(
            "checkpoint of {}: waiting for a session that holds its key (its WAL keeps "
            "the frames until then)",
            label_);
      }
      error_.reset();
      failed_.store(false, std::memory_order_release);
    }
    const bool complete = rc == SQLITE_OK && log >= 0 && copied == log;
    incomplete = ran && !complete;  // no connection (no key): wait for the next commit
    // A TRUNCATE that readers outlasted held the write lock for escalation_wait_ms: the next
    // one comes no sooner than four times that later, so commits run at least 80 % of the time.
    if (mode == Mode::kTruncate && !complete) {
      escalate_after = Clock::now() + std::max(retry, 4 * std::chrono::milliseconds(
                                                              options_.escalation_wait_ms));
    }
    if (mode == Mode::kTruncate && complete) {
      attempted_at_ = 0;
      if (frames_ == seen) frames_ = 0;  // truncated: the next commit starts a new WAL
    } else {
      attempted_at_ = log > 0 ? log : seen;
      if (frames_ == seen && log >= 0) frames_ = log;
      truncate_now = mode == Mode::kPassive && complete && log >= options_.hard_cap_frames;
    }
  }
  if (!final_checkpoint_) return;
  lock.unlock();
  if (!db_.db) {
    auto opened = open_();
    if (opened && *opened) db_ = std::move(**opened);
  }
  if (!db_.db) return;
  sqlite3_wal_hook(db_.db.get(), nullptr, nullptr);
  install_busy_wait(db_.db.get(), options_.escalation_wait_ms);
  int log = -1;
  int copied = -1;
  const int rc =
      vfs::run_wal_checkpoint(db_.db.get(), "main", SQLITE_CHECKPOINT_TRUNCATE, &log, &copied);
  lock.lock();
  if (rc == SQLITE_OK || busy(rc)) {
    error_.reset();
    failed_.store(false, std::memory_order_release);
  }
  lock.unlock();
  if (rc != SQLITE_OK && !busy(rc)) {
    Error e = engine_error(db_.db.get(), rc);
    spdlog::error("final checkpoint of {} failed ({}): {}", label_, e.code.code(), e.message);
    lock.lock();
    error_ = std::move(e);
    failed_.store(true, std::memory_order_release);
  } else if (rc != SQLITE_OK) {
    spdlog::warn("final checkpoint of {}: a reader kept the WAL from being checkpointed", label_);
  }
  close_db();
}

void Checkpointer::close_db() {
  db_.db.reset();  // the connection, then what it needs (a move assignment would go the other way)
  db_.keep.reset();
}

}  // namespace dbvault::storage
