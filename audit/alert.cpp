#include "audit/alert.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "audit/segment.h"

namespace dbvault::audit {

std::string alert_json(const Alert& alert) {
  nlohmann::json j;
  j["kind"] = alert.kind;
  j["message"] = alert.message;
  j["record"] = alert.record.empty() ? nlohmann::json() : nlohmann::json::parse(alert.record, nullptr, false);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<Alert> alert_for(const Record& record) {
  const auto lockout = record.event.detail.find("lockout");
  const bool locked_out =
      lockout != record.event.detail.end() && lockout->is_boolean() && lockout->get<bool>();
  if (record.event.severity != Severity::kCritical && !locked_out) return std::nullopt;
  return Alert{"audit_event",
               std::string(event_type_name(record.event.type)) + (locked_out ? " (lockout)" : "") +
                   " seq " + std::to_string(record.seq),
               export_json(record)};
}

Status JsonlAlertSink::deliver(const Alert& alert) {
  const std::string line = alert_json(alert) + "\n";
  std::lock_guard lock(mu_);
  internal::Fd fd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!fd.valid()) return internal::io_error("open", path_, errno);
  const ssize_t n = ::write(fd.get(), line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) return internal::io_error("write", path_, errno);
  return ok_status();
}

CommandAlertSink::CommandAlertSink(std::string command)
    : command_(std::move(command)), thread_([this] { run(); }) {}

CommandAlertSink::~CommandAlertSink() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

Status CommandAlertSink::deliver(const Alert& alert) {
  std::lock_guard lock(mu_);
  if (queue_.size() >= 1024) {
    spdlog::warn("audit alert command queue full; alert dropped");
    return make_error(sqlstate::kSystemError, "alert queue full");
  }
  queue_.push_back(alert_json(alert) + "\n");
  cv_.notify_all();
  return ok_status();
}

namespace {

// PATH (a fixed default when unset), HOME, the locale and TZ of the server, nothing else.
std::vector<std::string> command_environment() {
  std::vector<std::string> out;
  for (const char* name : {"PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR"}) {
    if (const char* value = std::getenv(name)) out.push_back(std::string(name) + "=" + value);
  }
  if (std::getenv("PATH") == nullptr) out.emplace_back("PATH=/usr/local/bin:/usr/bin:/bin");
  return out;
}

}  // namespace

void CommandAlertSink::run() {
  while (true) {
    std::string line;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      line = std::move(queue_.front());
      queue_.pop_front();
    }
    // The command gets a clean environment, never the server's: that may hold the master key
    // (kms = env) or a PKCS#11 PIN. Made before fork(): the child only calls execve.
    const std::vector<std::string> env = command_environment();
    std::vector<char*> envp;
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    char* const argv[] = {const_cast<char*>("sh"), const_cast<char*>("-c"),
                          const_cast<char*>(command_.c_str()), nullptr};
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) continue;
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(fds[0], STDIN_FILENO);
      ::execve("/bin/sh", argv, envp.data());
      ::_exit(127);
    }
    ::close(fds[0]);
    if (pid > 0) {
      // A command that does not read its input must not kill us with SIGPIPE: write with
      // MSG_NOSIGNAL is for sockets, so ignore EPIPE by blocking the signal for this thread.
      sigset_t set, old;
      sigemptyset(&set);
      sigaddset(&set, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &set, &old);
      [[maybe_unused]] ssize_t n = ::write(fds[1], line.data(), line.size());
      ::close(fds[1]);
      int status = 0;
      ::waitpid(pid, &status, 0);
      struct timespec zero {};
      siginfo_t info;
      while (sigtimedwait(&set, &info, &zero) > 0) {
      }
      pthread_sigmask(SIG_SETMASK, &old, nullptr);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        spdlog::warn("audit alert command exited with status {}", status);
      }
    } else {
      ::close(fds[1]);
      spdlog::warn("audit alert command could not be started: {}", std::strerror(errno));
    }
  }
}

}  // namespace dbvault::audit
