// The row formats of COPY: PostgreSQL's text format (tab-separated, \N for NULL, backslash
// escapes) and CSV (RFC 4180 quoting, empty unquoted field for NULL), both directions, with no
// I/O: COPY TO formats one row at a time; COPY FROM is fed the CopyData bytes as they arrive
// and returns each complete row (a CSV field may span lines).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "server/pgcompat/pgcompat.h"

namespace dbvault::server::session {

using CopyField = std::optional<std::string>;  // nullopt = NULL

// One formatted line, newline included.
std::string format_copy_row(const pgcompat::CopySpec& spec, const std::vector<CopyField>& fields);

class CopyRowParser {
 public:
  // Keeps its own copy of `spec` (a temporary may be passed).
  explicit CopyRowParser(pgcompat::CopySpec spec) : spec_(std::move(spec)) {}
  void feed(std::string_view bytes) { buffer_.append(bytes); }
  // The next complete row; nullopt when more bytes are needed (or, with `at_end`, when the
  // data ended). 22P04 bad_copy_file_format for malformed input (bad escape, unterminated
  // quote at the end). The end-of-data marker line "\." ends the data.
  Result<std::optional<std::vector<CopyField>>> next(bool at_end);
  bool finished() const { return finished_; }

 private:
  Result<std::optional<std::vector<CopyField>>> next_text(bool at_end);
  Result<std::optional<std::vector<CopyField>>> next_csv(bool at_end);
  const pgcompat::CopySpec spec_;
  std::string buffer_;
  std::size_t pos_ = 0;
  bool finished_ = false;
  bool header_skipped_ = false;
};

}  // namespace dbvault::server::session
