// TekRotations: ALTER TABLESPACE ts ROTATE ENCRYPTION KEY for a running server
// (docs/encryption.md §12, docs/keys.md §6): online re-encryption of a tablespace's file — or,
// for "default", of the engine database — to a new TEK version, then the old version destroyed.
//
//   1. begin (in the caller's thread): KeyGate::begin_tek_rotation makes version n+1 active at
//      once and version n decrypt-only, and zeroizes the scope's cached keys; the engine
//      database's VFS takes the key ring {n, n+1} at once (TdeVfs::renew_key), every session's
//      tablespace attachment when its handle was found expired, at its next statement
//      (released again as a ring, KeyGate::release_all). New pages are sealed under n+1.
//   2. re-encrypt (on the worker thread): storage::FileReencryption steps over the server's own
//      connection to the file (VACUUM, TRUNCATE checkpoint, census, proof under n+1 alone),
//      progress in progress() (vault.encryption_progress).
//   3. finish: the key store deletes version n (KeyGate::finish_tek_rotation zeroizes its
//      cached copies), and the VFS drops it from its ring.
// Audited: the statement (requested, vault/exec_tablespace.cpp) and here the completion or
// failure (policy_changed, detail phase "completed" / "failed", durable).
//
// Durable: the rotation's state is the key store's (a scope with a decrypt-only version is
// a rotation under way). resume() at start re-encrypts every such scope again (a crash or a
// shutdown in the middle); re-encrypting a page twice is harmless. A step that fails (readers
// keeping the WAL, a VFS error) is retried after retry_delay, up to max_attempts; the old
// version stays until a run succeeds.
//
// Thread-safety: all methods may be called from any thread; one worker runs the jobs in order.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "server/runtime/services.h"

namespace dbvault::storage {
class Engine;
}

namespace dbvault::server {

struct EncryptionProgress {
  std::string object;  // the tablespace ("default": the engine database)
  std::string scope;   // "tablespace:<name>"
  std::uint32_t from_version = 0;
  std::uint32_t to_version = 0;
  std::uint64_t pages_done = 0;
  std::uint64_t pages_total = 0;
  std::string state;  // "running", "retrying", "done", "failed"
  std::string error;  // the last failure's SQLSTATE and message (never key material)
  std::string started_at;
  std::string finished_at;  // empty until done or failed
};

struct TekRotationOptions {
  std::chrono::milliseconds retry_delay{500};
  int max_attempts = 20;
  // Tests only (DBVAULT_TEST_HOLD_ROTATIONS=1 with DBVAULT_ALLOW_TEST_CLOCK=1): rotations begin
  // but their re-encryption never starts in this run, so a test can kill the server between
  // the two and see the next start finish it.
  bool hold_for_tests = false;
};

class TekRotations {
 public:
  // REQUIRES: `services` (keys, gate, audit, engine_vfs) and `engine` outlive this object.
  TekRotations(Services& services, storage::Engine& engine, TekRotationOptions options = {});
  // Stops the worker after its current step; a rotation not finished resumes at the next start.
  ~TekRotations();
  TekRotations(const TekRotations&) = delete;
  TekRotations& operator=(const TekRotations&) = delete;

  // Begins the rotation of tablespace `name` ("default" for the engine database) and queues
  // its re-encryption; returns once the new version is active. 42704 unknown tablespace;
  // 55000 a rotation of it is under way; the key store's errors (58000).
  // `algorithm`: the new version's (a change of cipher, ALTER TABLESPACE ... ENABLE
  // ENCRYPTION, docs/encryption.md §12.5); the active version's when nullopt. When the active
  // version has `algorithm` already nothing is done (the statement is declarative).
  Status rotate(std::string_view name, std::optional<crypto::AeadAlgorithm> algorithm = {});
  // Queues the re-encryption of every tablespace whose key has a decrypt-only version.
  Status resume();
  // The rotations of this run, oldest first.
  std::vector<EncryptionProgress> progress() const;

 private:
  struct Job {
    std::string name;
  };
  void worker();
  Status run_with_retries(const std::string& name);
  Status run_job(const std::string& name);
  void update(const std::string& name, const std::function<void(EncryptionProgress&)>& fn);
  void audit_end(const EncryptionProgress& p, const Status& outcome);
  void enqueue(const std::string& name, std::uint32_t from, std::uint32_t to);

  Services& services_;
  storage::Engine& engine_;
  const TekRotationOptions options_;

  std::mutex begin_mu_;  // one begin at a time: its check and the key store's begin go together
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stop_ = false;
  std::vector<EncryptionProgress> progress_;  // guarded by mu_
  std::thread thread_;                        // last: started once the rest is built
};

}  // namespace dbvault::server
