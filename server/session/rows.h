// Rows of engine statements on the wire: the RowDescription of a prepared statement, the
// DataRows of its results in the formats the client asked for, and command tags.
//
// A column's type is fixed when it is described: from its declared type, or (an expression)
// from the storage class of the first row when one is at hand, else text. Every later value
// of the column is encoded as that type (server/wire/pg_types.h), so a client never sees a
// value disagree with its RowDescription.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "server/wire/encoder.h"
#include "server/wire/pg_types.h"
#include "storage/engine.h"

namespace dbvault::server::session {

using Row = std::vector<storage::Value>;

wire::SqlValue to_wire(const storage::Value& v);
storage::Value from_wire(wire::SqlValue v);

// The current row of `st` (REQUIRES: its last step() returned true).
Row current_row(const storage::Statement& st);

// Field descriptions of `st`'s columns, typed as above; `formats` follows Bind's 0 / 1 / n rule.
std::vector<wire::FieldDescription> describe_columns(const storage::Statement& st,
                                                     const Row* first_row,
                                                     const std::vector<wire::Format>& formats);

// Appends one DataRow. 22P02 / 22003 ... when a value cannot be given the column's type.
Status append_row(std::string& out, const Row& row,
                  const std::vector<wire::FieldDescription>& fields);

// The CommandComplete tag of an engine statement ("SELECT 3", "INSERT 0 1", "CREATE TABLE").
std::string command_tag(std::string_view sql, std::int64_t rows, std::int64_t changes,
                        bool returned_rows);

}  // namespace dbvault::server::session
