#include "audit/export.h"

#include <algorithm>
#include <thread>

namespace dbvault::audit {

Result<std::uint64_t> export_jsonl(const LogReader& reader, const ExportOptions& options,
                                   std::ostream& out) {
  std::uint64_t lines = 0;
  std::uint64_t next_seq = 1;
  auto visit = [&](const Record& r) {
    next_seq = r.seq + 1;
    if (options.since && r.timestamp < *options.since) return true;
    if (options.until && r.timestamp >= *options.until) return true;
    if (!options.types.empty() &&
        std::find(options.types.begin(), options.types.end(), r.event.type) == options.types.end()) {
      return true;
    }
    out << export_json(r) << '\n';
    ++lines;
    return true;
  };
  while (true) {
    auto bound = reader.durable_seq();
    if (!bound) return std::move(bound).error();
    DBV_RETURN_IF_ERROR(reader.scan_bounded({next_seq}, *bound, visit));
    next_seq = std::max(next_seq, *bound + 1);
    out.flush();
    if (!out) return make_error(sqlstate::kSystemError, "audit export: cannot write the output");
    if (!options.follow) return lines;
    if (options.keep_following && !options.keep_following()) return lines;
    std::this_thread::sleep_for(options.poll);
  }
}

}  // namespace dbvault::audit
