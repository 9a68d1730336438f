// AuditQueue: the audit events of every backend on their way to the one process that owns
// the cluster's audit::Log (the audit background worker, audit_worker.cpp): a bounded
// multi-producer, single-consumer ring of fixed-size slots in shared memory (a sequence
// number per slot, as in Vyukov's bounded queue), with no lock and no PostgreSQL call, so it
// can run inside the vault's C++ and be tested without a server.
//
//   backend  push(event, durable)  ->  slot  ->  worker drain(): Log::append / append_sync
//            (durable: waits until acked)         then acked = seq + 1
//
// Fail closed: push() is 58000 when no worker is running (after waiting up to the timeout for
// one to start), when the worker's log failed, when the queue stays full, or when a durable
// record is not acknowledged in time. The vault then refuses what the record was for.
//
// Thread-safety: push() from any number of processes and threads at once; drain() from one.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "common/result.h"
#include "vault/audit_sink.h"

namespace dbvault::pgext {

class AuditQueue {
 public:
  static constexpr std::size_t kSlots = 64;
  static constexpr std::size_t kPayloadBytes = 16 * 1024;

  // The shared memory it needs, and formatting it as an empty queue with no worker (once,
  // when the memory is created).
  static std::size_t shared_size();
  static void format(void* memory);
  // REQUIRES: `memory` was format()ted and outlives this view.
  explicit AuditQueue(void* memory);

  // Producer. `wake` tells the worker there is work (SetLatch); it must not fail.
  // 22023 for a payload over kPayloadBytes; 58000 as above.
  Status push(std::string_view payload, bool durable, std::chrono::milliseconds timeout,
              const std::function<void()>& wake);

  // Worker. running(): a worker is consuming; failed(): it stopped for good (log failure)
  // until the next start (set_running again).
  void set_running(bool running);
  void set_failed();
  // Hands every ready record, in order, to `store`; stops at the first error, marks the queue
  // failed and returns that error. Ok when nothing more is ready.
  Status drain(const std::function<Status(std::string_view payload, bool durable)>& store);

 private:
  struct Shared;
  Shared* shared_;
};

// The vault's AuditSink on the queue: each event is validated, normalised (the literals of
// its `query` become '?'), encoded and pushed; durable ones wait for the worker's ack.
class QueueAuditSink final : public vault::AuditSink {
 public:
  QueueAuditSink(AuditQueue queue, std::function<void()> wake, std::chrono::milliseconds timeout)
      : queue_(queue), wake_(std::move(wake)), timeout_(timeout) {}
  Status record(const audit::Event& event, bool durable) override;

 private:
  AuditQueue queue_;
  std::function<void()> wake_;
  std::chrono::milliseconds timeout_;
};

// The queue's payload: one event as JSON, and back. decode: 22023 when malformed.
std::string encode_event(const audit::Event& event);
Result<audit::Event> decode_event(std::string_view payload);

}  // namespace dbvault::pgext
