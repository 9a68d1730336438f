// The operator rules of encrypted columns (docs/encryption.md §13.5), checked on the program
// SQLite compiled for a statement (its EXPLAIN listing), not on its text: SQLite has already
// resolved every name, view, CTE, subquery and trigger body, so no spelling of a name and no
// level of nesting hides a use.
//
// Every value read from an encrypted column (a cursor on its table or on an index holding it,
// at the column's position) is followed through the registers, records, ephemeral tables and
// sorters it is copied into, and so is every value the engine sealed (dbvault_seal). They may:
//   - reach a result row as the result column whose origin is that very column (the result
//     path decrypts it there);
//   - be written back to the same column of the same table (UPDATE rewriting a row, index
//     upkeep), or a sealed value to the column it was sealed for;
//   - DETERMINISTIC only: be compared for equality (=, <>, IN, an index seek) with a value
//     sealed for the same column, or with the same column (a self-join);
//   - be tested for NULL (whether a value is there is visible anyway).
// Anything else — a function or operator over it, CAST, a range comparison, ORDER BY, GROUP BY,
// DISTINCT, an aggregate, a comparison with anything not sealed for the column (another
// column, a plaintext value), any predicate on a RANDOMIZED column, a copy into another table,
// an opcode this check does not know — is refused with 0A000:
//   column main.t.ssn is encrypted (DETERMINISTIC): only =, <> and IN with a literal or
//   parameter are supported (refused: <what>)
// never with a byte of ciphertext or plaintext in it.
// Thread-safety: the connection's thread.
#pragma once

#include <sqlite3.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "storage/authorizer.h"
#include "storage/columns/column_catalog.h"

namespace dbvault::storage::columns {

// One instruction of a program as EXPLAIN lists it.
struct ProgramOp {
  int addr = 0;
  std::string opcode;
  int p1 = 0, p2 = 0, p3 = 0;
  std::string p4;
  int p5 = 0;
};

// A column whose values the check follows.
struct FollowedColumn {
  ColumnIdentity column;
  std::optional<ColumnMode> mode;  // nullopt: invalid metadata
};

// Where the encrypted columns are stored: for each b-tree root page of main (a table with
// encrypted columns, or one of its indexes), which record field holds which followed column
// (index into `columns`; -1: an expression of the table's columns, followed as unknown);
// for each trigger on such a table, its table's fields and column count (OLD/NEW values).
struct StoredLayout {
  std::vector<FollowedColumn> columns;
  std::map<int, std::vector<std::optional<int>>> fields_by_root;
  std::set<int> index_roots;  // those of fields_by_root that are indexes
  struct TriggerTable {
    std::vector<std::optional<int>> fields;
    int column_count = 0;
  };
  std::map<std::string, TriggerTable> triggers;  // folded trigger name
  bool empty() const { return fields_by_root.empty(); }
};

// The layout of every table in `catalog` (main's schema, internal statements). 58030 on
// engine errors.
Result<StoredLayout> stored_layout(sqlite3* db, Authorizer& auth, const ColumnCatalog& catalog);

// The program of `sql` (EXPLAIN, internal statement). Errors as SQLite's.
Result<std::vector<ProgramOp>> explain_program(sqlite3* db, Authorizer& auth, std::string_view sql);

// The check over `program` (the main program, then its trigger programs as EXPLAIN lists
// them). `origins`: per result column, the followed column it shows (index into
// layout.columns) or nullopt. `shape.building_index`: a CREATE INDEX, whose sort of the
// column's values is the index itself; `shape.orders`: the statement has an ORDER BY (which
// SQLite may answer by scanning an index on the column in its order). 0A000 as above.
struct StatementUse {
  bool building_index = false;
  bool orders = false;
};
Status check_uses(const std::vector<ProgramOp>& program, const StoredLayout& layout,
                  const std::vector<std::optional<int>>& origins, StatementUse shape);

}  // namespace dbvault::storage::columns
