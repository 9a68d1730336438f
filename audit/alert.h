// Alert sinks: where critical audit events (every CRITICAL record, e.g. emergency access; every
// lockout, which is a WARNING record) and verification failures go besides the log, so that
// someone is woken up.
//
// The Log calls deliver() from its writer thread after the record is durable; implementations
// must not block for long (CommandAlertSink hands work to its own thread). A failing sink never
// fails the audit write: the record is what counts. Thread-safety: deliver() may be called from
// any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "audit/event.h"
#include "common/result.h"

namespace dbvault::audit {

struct Alert {
  std::string kind;     // "audit_event" or "audit_verify_failed"
  std::string message;  // one line for a human; never a secret
  std::string record;   // the record as an export line (JSON), or empty
};

class AlertSink {
 public:
  virtual ~AlertSink() = default;
  virtual Status deliver(const Alert& alert) = 0;
};

// Appends one JSON object per alert to a file (created 0600): {"kind":..,"message":..,"record":{..}}.
class JsonlAlertSink final : public AlertSink {
 public:
  explicit JsonlAlertSink(std::filesystem::path path) : path_(std::move(path)) {}
  Status deliver(const Alert& alert) override;

 private:
  std::mutex mu_;
  std::filesystem::path path_;
};

// Runs `/bin/sh -c <command>` per alert with the alert's JSON line on standard input, on its own
// thread (alerts queue up to 1024; more are dropped with a warning in the process log).
class CommandAlertSink final : public AlertSink {
 public:
  explicit CommandAlertSink(std::string command);
  ~CommandAlertSink() override;  // waits for queued alerts
  Status deliver(const Alert& alert) override;

 private:
  void run();
  std::string command_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

// The alert as one JSON line (no newline).
std::string alert_json(const Alert& alert);

// The alert a stored record raises (kind "audit_event"), or nullopt. Raised by every CRITICAL
// record and by every lockout — a record whose detail has `lockout: true` — whatever its
// severity: the vault records lockouts with severity WARNING, yet they must reach a human.
std::optional<Alert> alert_for(const Record& record);

}  // namespace dbvault::audit
