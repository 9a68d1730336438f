// When the engine's background checkpointers checkpoint (storage/checkpointer.h has the
// policy; docs/engine.md, "Checkpoints"). Frames are WAL frames (one page each).
#pragma once

namespace dbvault::storage {

struct CheckpointerOptions {
  int threshold_frames = 1000;  // a PASSIVE checkpoint from here (SQLite's wal_autocheckpoint)
  int step_frames = 250;        // after an incomplete one, the next when the WAL grew by this
  int hard_cap_frames = 10000;  // past it: TRUNCATE, waiting for readers (the WAL's bound)
  int escalation_wait_ms = 1000;  // how long TRUNCATE waits; below the sessions' busy timeout
  int retry_ms = 200;             // an incomplete checkpoint is retried after this, commit or not
};

}  // namespace dbvault::storage
