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
#include "server/pgcompat/pgcompat.h"
#include "server/wire/encoder.h"
#include "server/wire/pg_types.h"
#include "storage/engine.h"

namespace dbvault::server::session {

using Row = std::vector<storage::Value>;

wire::SqlValue to_wire(const storage::Value& v);
storage::Value from_wire(wire::SqlValue v);

// The current row of `st` (REQUIRES: its last step() returned true).
Row current_row(const storage::Statement& st);

// The format of result column `i` under Bind's rule: no codes, all text; one, all columns;
// n, one per column.
wire::Format result_format(const std::vector<wire::Format>& formats, std::size_t i);

// Field descriptions of `st`'s columns, typed as above; `formats` follows Bind's 0 / 1 / n rule.
// `expression_types` (pgcompat::infer_result_types of the client's text, one per column or
// empty) types an expression column before its first row: a non-zero entry wins over the
// row's storage class, so that every description of a statement says the same.
std::vector<wire::FieldDescription> describe_columns(
    const storage::Statement& st, const Row* first_row, const std::vector<wire::Format>& formats,
    const std::vector<wire::Oid>& expression_types = {});

// The RowDescription and DataRows of rows computed as PostgreSQL text (vault results,
// pgcompat answers), each column in the format `formats` asks for (text values are converted
// to the binary form of the column's type; 0A000 for a type without one here).
Status append_text_rows(std::string& out, std::vector<wire::FieldDescription> fields,
                        const std::vector<std::vector<std::optional<std::string>>>& rows,
                        const std::vector<wire::Format>& formats);

// RowDescription fields for rows computed as text: a pgcompat answer's typed columns, or a
// vault result's columns (all text).
std::vector<wire::FieldDescription> answer_fields(const std::vector<pgcompat::Column>& columns);
std::vector<wire::FieldDescription> text_fields(const std::vector<std::string>& names);

// Appends one DataRow. 22P02 / 22003 ... when a value cannot be given the column's type.
Status append_row(std::string& out, const Row& row,
                  const std::vector<wire::FieldDescription>& fields);

// The CommandComplete tag of an engine statement ("SELECT 3", "INSERT 0 1", "CREATE TABLE").
std::string command_tag(std::string_view sql, std::int64_t rows, std::int64_t changes,
                        bool returned_rows);

}  // namespace dbvault::server::session
