// The engine's rewrite of the equality predicates on DETERMINISTIC encrypted columns
// (docs/encryption.md §13.5): in `c = v`, `v = c`, `c <> v` (`!=`, `==`) and `c [NOT] IN (v, ...)`,
// where c names a DETERMINISTIC column the statement reads and each v is one literal or one
// numbered or named parameter, each v is wrapped in dbvault_seal('main.t', 'c', v, NULL), so
// that SQLite compares ciphertext with ciphertext (and an index on the column answers).
// A parameter is sealed at each execution, as bound.
//
// The rewrite is a heuristic over tokens, not a proof: what it wraps, and what it leaves alone,
// is checked afterwards on SQLite's own program (use_check.h), which refuses every use of a
// sealed value other than a comparison with its own column, and every comparison of an
// encrypted column with a value not sealed for it. So a name it takes for the column wrongly,
// or a form it does not know, ends in 0A000, never in a wrong comparison.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "storage/columns/column_format.h"

namespace dbvault::storage::columns {

// A DETERMINISTIC column a statement reads: its identity and the table's bare name.
struct ComparedColumn {
  ColumnIdentity column;  // {"main.t", "ssn"}
  std::string table;      // "t", folded
};

// The statement with the compared values sealed; unchanged when there is nothing to seal.
// 42601 for text it cannot tokenize. In an UPDATE only the WHERE clause is rewritten (the SET
// list is the write rewrite's).
Result<std::string> seal_comparisons(std::string_view sql,
                                     const std::vector<ComparedColumn>& columns);

}  // namespace dbvault::storage::columns
