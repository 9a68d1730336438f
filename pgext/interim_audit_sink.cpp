#include "pgext/interim_audit_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

namespace dbvault::pgext {
namespace {

Error io_error(const std::string& what) {
  return make_error(sqlstate::kSystemError,
                    "audit log unavailable: " + what + ": " + std::strerror(errno));
}

std::string line_of(const audit::Event& e, TimePoint now) {
  nlohmann::json j;
  j["timestamp_us"] = now.time_since_epoch().count();
  j["event_type"] = audit::event_type_name(e.type);
  j["severity"] = audit::severity_name(e.severity.value_or(audit::default_severity(e.type)));
  j["user"] = e.user;
  j["realm"] = e.realm;
  j["ip_address"] = e.ip_address;
  j["session_id"] = e.session_id;
  j["result"] = audit::outcome_name(e.result);
  j["vault_password_id"] = e.vault_password_id;
  if (e.expires_at) j["expires_at"] = e.expires_at->time_since_epoch().count();
  j["detail"] = e.detail;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

Result<std::unique_ptr<JsonlAuditSink>> JsonlAuditSink::open(const std::filesystem::path& file,
                                                             const Clock& clock) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot open " + file.string());
  return std::unique_ptr<JsonlAuditSink>(new JsonlAuditSink(fd, clock));
}

JsonlAuditSink::~JsonlAuditSink() { ::close(fd_); }

Status JsonlAuditSink::record(const audit::Event& event, bool durable) {
  const audit::Event e = audit::normalise_event(event);  // literals of `query` become '?'
  DBV_RETURN_IF_ERROR(audit::validate_event(e));
  const std::string line = line_of(e, clock_.now());
  // One write: O_APPEND makes the offset update and the write one step, so concurrent
  // backends' lines stay whole. A short write would leave a torn line: refuse it.
  const ssize_t n = ::write(fd_, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) return io_error("write");
  if (durable && ::fdatasync(fd_) != 0) return io_error("fdatasync");
  return ok_status();
}

}  // namespace dbvault::pgext
