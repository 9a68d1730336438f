// When a connection through the encrypting VFS checkpoints its WAL: SQLite's automatic
// checkpoint, paced.
//
// SQLite's own policy (wal_autocheckpoint = 1000) attempts a PASSIVE checkpoint after every
// commit once the WAL holds 1000 frames. While readers keep it from completing (they hold
// older snapshots: any server with several sessions), that is one attempt per commit, each
// copying the few frames that became safe. On an encrypted file every attempt that copies a
// page opens a write epoch of the page version table (docs/encryption.md §3.6): two table
// writes, a sync of the main file and a directory sync, about four fsyncs for a transaction's
// worth of pages (pgbench read-write at 8 clients: one epoch per ten commits, TDE on/off 0.34).
//
// Paced: the same threshold, but after an attempt the next one waits until the WAL has grown
// by `step` frames (or restarted). Each attempt then copies a step's worth of frames (a page
// changed by many commits once), and the WAL stays under threshold + step frames longer than
// SQLite's policy would keep it only while readers block the checkpoint anyway.
// Thread-safety: the hook may run on any connection's thread; its state is per database file
// and atomic.
#pragma once

#include <sqlite3.h>

#include <functional>

namespace dbvault::storage::vfs {

inline constexpr int kCheckpointThresholdFrames = 1000;  // SQLite's wal_autocheckpoint default
inline constexpr int kCheckpointStepFrames = 250;

// Installs the paced checkpoint as `db`'s WAL hook (replacing SQLite's automatic checkpoint;
// a later PRAGMA wal_autocheckpoint or sqlite3_wal_hook replaces it in turn). It serves every
// database of the connection (main and attached). Checkpoint errors are left to the next
// checkpoint or read, as with SQLite's own automatic checkpoint. REQUIRES: threshold, step > 0.
void install_checkpoint_pacing(sqlite3* db, int threshold_frames = kCheckpointThresholdFrames,
                               int step_frames = kCheckpointStepFrames);

// sqlite3_wal_checkpoint_v2, as every checkpoint the engine and this paced one run it: first
// tells the observer (if one is set) which connection checkpoints, so tests can count them.
int run_wal_checkpoint(sqlite3* db, const char* schema, int mode, int* log, int* copied);
// For tests: called with the connection of each run_wal_checkpoint, on the thread that runs
// it, before it runs. An empty function removes it. Thread-safe.
void set_checkpoint_observer(std::function<void(sqlite3*)> observer);

}  // namespace dbvault::storage::vfs
