#include "storage/vfs/checkpoint_pacing.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace dbvault::storage::vfs {
namespace {

struct Pacing {
  int threshold = kCheckpointThresholdFrames;
  int step = kCheckpointStepFrames;
};

// The WAL size at the last attempt on one database file, shared by every connection to it (a
// connection's own count would let eight connections attempt eight times as often). 0: the
// last attempt completed, the WAL restarts.
struct FileRecord {
  std::atomic<int> attempted_at{0};
};

// One record per database file name for the life of the process (a few per server). The lookup
// runs only for a commit past the threshold, under a mutex held for one map search.
FileRecord& record_of(const char* file_name) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<FileRecord>, std::less<>> records;
  const std::string_view name = file_name == nullptr ? std::string_view() : file_name;
  std::lock_guard lock(mu);
  auto it = records.find(name);
  if (it == records.end())
    it = records.emplace(std::string(name), std::make_unique<FileRecord>()).first;
  return *it->second;
}

int paced_checkpoint(void* arg, sqlite3* db, const char* name, int frames) {
  const auto& pacing = *static_cast<const Pacing*>(arg);
  if (frames < pacing.threshold) return SQLITE_OK;
  FileRecord& record = record_of(sqlite3_db_filename(db, name));
  int at = record.attempted_at.load(std::memory_order_relaxed);
  // frames < at: the WAL restarted since that attempt.
  if (at != 0 && frames >= at && frames < at + pacing.step) return SQLITE_OK;
  if (!record.attempted_at.compare_exchange_strong(at, frames, std::memory_order_relaxed))
    return SQLITE_OK;  // another connection attempts now
  int log = 0;
  int copied = 0;
  const int rc = run_wal_checkpoint(db, name, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
  if (rc == SQLITE_OK && log >= 0 && copied == log) {
    int mine = frames;
    record.attempted_at.compare_exchange_strong(mine, 0, std::memory_order_relaxed);
  }
  return SQLITE_OK;  // as sqlite3WalDefaultHook: a failed attempt is retried later
}

std::mutex observer_mu;
std::function<void(sqlite3*)>& observer() {
  static std::function<void(sqlite3*)> f;
  return f;
}
std::atomic<bool> observed{false};

}  // namespace

int run_wal_checkpoint(sqlite3* db, const char* schema, int mode, int* log, int* copied) {
  if (observed.load(std::memory_order_acquire)) {
    std::lock_guard lock(observer_mu);
    if (observer()) observer()(db);
  }
  return sqlite3_wal_checkpoint_v2(db, schema, mode, log, copied);
}

void set_checkpoint_observer(std::function<void(sqlite3*)> f) {
  std::lock_guard lock(observer_mu);
  observed.store(static_cast<bool>(f), std::memory_order_release);
  observer() = std::move(f);
}

void install_checkpoint_pacing(sqlite3* db, int threshold_frames, int step_frames) {
  // One Pacing per (threshold, step) pair in use, alive for the process: the hook's argument
  // must outlive every connection.
  static std::mutex mu;
  static std::map<std::pair<int, int>, std::unique_ptr<Pacing>> pacings;
  Pacing* p = nullptr;
  {
    std::lock_guard lock(mu);
    auto& slot = pacings[{threshold_frames, step_frames}];
    if (!slot) slot = std::make_unique<Pacing>(Pacing{threshold_frames, step_frames});
    p = slot.get();
  }
  sqlite3_wal_hook(db, paced_checkpoint, p);
}

}  // namespace dbvault::storage::vfs
