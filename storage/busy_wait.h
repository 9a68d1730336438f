// How a statement waits for SQLite's write lock while another connection of the server holds
// it (the busy handler of the engine's connections).
//
// SQLite's own handler (sqlite3_busy_timeout) sleeps and polls, backing off to 100 ms, so a
// connection that has waited a while polls rarely and loses the lock to newcomers: with 32
// writing sessions some waited past the timeout ("database is locked", 55P03) while the lock
// changed hands hundreds of times. Here a waiter sleeps until a connection of the server ends a
// write transaction (notify_write_ended(), called by Statement::step and when a connection
// closes) and then retries at once; it also retries every few milliseconds, for a lock held
// by anything that does not notify (a checkpoint, another process).
// Thread-safety: both functions may be called from any thread. The start of the current wait
// is kept per thread (a connection is used by one thread at a time, and a thread waits for
// one lock at a time).
#pragma once

#include <sqlite3.h>

#include <atomic>

namespace dbvault::storage {

// Installs the handler on `db`: a statement waits up to `timeout_ms` (at least that long)
// for a lock, then fails with SQLITE_BUSY. 0: no waiting.
void install_busy_wait(sqlite3* db, int timeout_ms);

// A session connection's wait: its timeout, and a flag Connection::interrupt() sets, so that a
// statement waiting for a lock stops within a poll (a cancel or statement_timeout: 57014)
// instead of waiting out the timeout (SQLite 3.40's handler cannot see sqlite3_interrupt).
struct BusyWait {
  int timeout_ms = 0;
  std::atomic<bool> cancelled{false};
};
// As above, with `wait`, which must outlive db's use of the handler.
void install_busy_wait(sqlite3* db, BusyWait& wait);
// True when this thread's last lock wait stopped because it was cancelled; clears it (so a
// SQLITE_BUSY that follows is reported as 57014, not 55P03).
bool take_cancelled_wait();

// Wakes the waiters: a connection's write transaction may have ended. Cheap when nobody waits.
void notify_write_ended();

}  // namespace dbvault::storage
