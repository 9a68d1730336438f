// Splits a query string holding several statements at ';' outside strings, quoted
// identifiers and comments. A CREATE TRIGGER body (BEGIN ...; ...; END) stays one statement:
// inside it only "END;" ends the statement, as in SQLite's sqlite3_complete().
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace dbvault::grammar {

struct StatementText {
  std::string_view text;  // from the first token to the end of the last, without the ';'
  std::size_t offset;     // byte offset of `text` in the script
};

// Statements in order. Empty statements (only ';', whitespace or comments) are dropped. An
// unterminated string or comment extends the last statement to the end of the script, so
// the parser (or the engine) reports it.
std::vector<StatementText> split_statements(std::string_view script);

}  // namespace dbvault::grammar
