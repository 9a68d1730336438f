// JSON Lines export for a SIEM: one export_json() line per record, with seq, prev_hash and hash,
// so the copy can be checked (each prev_hash equals the previous line's hash; with the MAC key
// every hash can be recomputed). Thread-safety: a function over a thread-safe LogReader.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <vector>

#include "audit/reader.h"

namespace dbvault::audit {

struct ExportOptions {
  std::optional<Timestamp> since;  // timestamp >= since
  std::optional<Timestamp> until;  // timestamp < until
  std::vector<EventType> types;    // empty: all
  bool follow = false;             // keep streaming new records
  std::chrono::milliseconds poll{500};
  // With follow: called between polls; return false to stop (e.g. on SIGINT). Unset: forever.
  std::function<bool()> keep_following;
};

// Writes the matching records (durable ones only), flushing after each batch. Returns the
// number of lines written. XX001/58000 as LogReader::scan.
Result<std::uint64_t> export_jsonl(const LogReader& reader, const ExportOptions& options,
                                   std::ostream& out);

}  // namespace dbvault::audit
