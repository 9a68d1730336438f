// Log::copy_store_to: the audit store's part of a consistent backup (audit/log.h).
#include <system_error>

#include "audit/log_writer.h"

namespace dbvault::audit {

Status Log::copy_store_to(const std::filesystem::path& to) {
  DBV_RETURN_IF_ERROR(writer_->health());
  DBV_RETURN_IF_ERROR(flush());
  return writer_->copy_files(to);
}

Status Log::Writer::copy_files(const std::filesystem::path& to) {
  // Under io_mu_ no batch is being written: HEAD and the segments agree, as after a clean stop.
  std::lock_guard io(io_mu_);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options_.dir, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    const auto target = to / entry.path().filename();
    std::filesystem::copy_file(entry.path(), target, std::filesystem::copy_options::none, ec);
    if (ec) {
      return make_error(sqlstate::kIoError, "cannot copy the audit store's " +
                                                entry.path().filename().string() + " to " +
                                                to.string() + ": " + ec.message());
    }
    std::filesystem::permissions(
        target, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  }
  if (ec) {
    return make_error(sqlstate::kIoError,
                      "cannot list the audit store " + options_.dir.string() + ": " + ec.message());
  }
  return ok_status();
}

}  // namespace dbvault::audit
