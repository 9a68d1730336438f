#include "server/runtime/alert_sinks.h"

#include <spdlog/spdlog.h>

#include <vector>

namespace dbvault::server {
namespace {

class ServerLogAlertSink final : public audit::AlertSink {
 public:
  Status deliver(const audit::Alert& alert) override {
    spdlog::critical("audit alert ({}): {}", alert.kind, alert.message);
    return ok_status();
  }
};

// Delivers to every sink; the first failure is returned once all were tried.
class FanoutAlertSink final : public audit::AlertSink {
 public:
  explicit FanoutAlertSink(std::vector<std::unique_ptr<audit::AlertSink>> sinks)
      : sinks_(std::move(sinks)) {}
  Status deliver(const audit::Alert& alert) override {
    Status first = ok_status();
    for (const auto& sink : sinks_) {
      Status st = sink->deliver(alert);
      if (!st && first) {
        spdlog::warn("audit alert ({}) not delivered: {}", alert.kind, st.error().message);
        first = std::move(st);
      }
    }
    return first;
  }

 private:
  std::vector<std::unique_ptr<audit::AlertSink>> sinks_;
};

}  // namespace

std::shared_ptr<audit::AlertSink> server_alert_sink(const ServerConfig& config,
                                                    const DataDir& dir) {
  std::vector<std::unique_ptr<audit::AlertSink>> sinks;
  sinks.push_back(std::make_unique<ServerLogAlertSink>());
  if (!config.audit_alert_file.empty()) {
    sinks.push_back(std::make_unique<audit::JsonlAlertSink>(dir.resolve(config.audit_alert_file)));
  }
  if (!config.audit_alert_command.empty()) {
    sinks.push_back(std::make_unique<audit::CommandAlertSink>(config.audit_alert_command));
  }
  return std::make_shared<FanoutAlertSink>(std::move(sinks));
}

}  // namespace dbvault::server
