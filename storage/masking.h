// Column masking in the engine (docs/encryption.md, "Masking"). Internal to storage/.
//
// A session under masks reads a masked table through views of its own, made at name
// resolution: for each masked table t, TEMP views
//   temp."dbvault_mask_t" AS SELECT a, dbvault_mask('HASH', c) AS c, ... FROM main.t
//   temp.t                AS SELECT * FROM temp."dbvault_mask_t"
// TEMP shadows main for unqualified names, so every path that names t — SELECT *, any
// expression, predicate, ORDER BY, aggregate, CTE, subquery, INSERT ... SELECT, CREATE TABLE
// AS, COPY TO, a TEMP view or trigger of the session — reads only the masked value, and
// predicates are evaluated over it (HASH joins match). Every other read of a masked column
// (main.t.c, a view or trigger of the schema, RETURNING, a constraint's implied read) does
// not come from "dbvault_mask_t" and is refused with 42501 by check_masks(); so is a read made
// inside a view or trigger body whose creator is under a mask on that column.
//
// Names beginning with dbvault_mask are reserved: no statement may contain them (so no CTE,
// view or call can pose as the mask view or call the mask function), refused in compile().
// Thread-safety: the connection's thread.
#pragma once

#include <sqlite3.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "crypto/secret_bytes.h"
#include "storage/authorizer.h"
#include "storage/enforcement.h"
#include "vault/masking_policy.h"

namespace dbvault::storage {

// The reserved prefix of the mask views and of the mask function.
inline constexpr std::string_view kMaskPrefix = "dbvault_mask";
// True if `sql` contains the reserved prefix (ASCII case-insensitively).
bool names_mask_objects(std::string_view sql);
// "dbvault_mask_<table>" (folded): the context that may read `table`'s masked columns.
std::string mask_view_name(std::string_view table);

// Registers dbvault_mask(mode, value) on `db`: FULL '***', PARTIAL '***' + the last four
// characters (of the value's text; '***' for four or fewer, and for a blob), HASH the hex
// HMAC-SHA256 of the value's text (blobs: of their bytes, domain-separated) under `hash_key`,
// NULL: NULL. A NULL value stays NULL in every mode. With an empty `hash_key` HASH raises an
// error (the statement fails; nothing unmasked is returned). 58030 if registration fails.
Status register_mask_function(sqlite3* db, std::shared_ptr<const crypto::SecretBytes> hash_key);

// The TEMP mask views of one connection.
class MaskViews {
 public:
  // Makes the connection's mask views match `masks` (vault::masks_for of the session): creates
  // the missing ones, replaces those whose definition differs (a ROLLBACK may have brought back
  // an old one), drops those of tables no longer masked. A masked table that does not exist
  // gets no views (its reads are refused as unmasked ones); neither does one whose name a TEMP
  // object of the session already holds (then only main.t would reach it, which is refused).
  // Runs the engine's own statements (authorizer in internal mode). 58030 on engine errors.
  Status sync(sqlite3* db, Authorizer& auth, const std::vector<vault::ColumnMask>& masks);

  // True for the TEMP objects sync() made: a mask view, or a shadow view it made.
  bool made(std::string_view schema, std::string_view table) const;

 private:
  using Columns = std::map<std::string, ast::MaskingMode>;  // folded column -> mode
  struct Made {
    Columns columns;       // what the mask view masks
    std::string shadow;    // the shadow view's name ("": a TEMP object held it)
    std::string mask_sql;  // the views as SQLite stores them
    std::string shadow_sql;
  };
  // True when both views of `table` are still exactly as made (a ROLLBACK can undo or bring
  // back TEMP views; a DROP VIEW can remove the shadow).
  Result<bool> current(sqlite3* db, Authorizer& auth, const std::string& table,
                       const Made& m) const;
  Status make_views(sqlite3* db, Authorizer& auth, const std::string& table,
                    const Columns& columns);
  std::map<std::string, Made> made_;  // by folded table
};

// What check_masks() needs besides the statement.
struct MaskCheck {
  const vault::PolicySnapshot& snap;
  std::uint32_t user = 0;
  CreatorLookup creators;
  // The session's masks when the statement was prepared (what its mask views applied).
  const std::vector<vault::ColumnMask>& prepared_with;
  // The connection, for the written tables' UNIQUE indexes and foreign keys.
  sqlite3* db = nullptr;
  Authorizer* auth = nullptr;
  // The compiled statement, whose plan check_index_order() reads (EXPLAIN QUERY PLAN).
  sqlite3_stmt* stmt = nullptr;
};

// 42501 when the statement would read a masked column other than through its mask view; when
// it writes a column whose value is compared with a masked one (a UNIQUE index or PRIMARY KEY
// holding a masked column, a foreign key to one: the write's success would answer "is this
// value there?"); when
// it reads a table whose masks changed since it was prepared (prepare it again), when it
// alters a table that has masking policies, or when check_index_order() refuses it. OK at once
// when the policy has no masks.
Status check_masks(const MaskCheck& check, const StatementFacts& facts);

// The indexes of `schema`.`table` whose order or rows may follow a column of `columns`
// (folded names): an index with such a key column, an index on an expression (it may read one;
// not parsed: counted, fail closed). Internal statements.
Result<std::vector<std::string>> masked_indexes(sqlite3* db, Authorizer& auth,
                                                const std::string& schema, const std::string& table,
                                                const std::set<std::string>& columns);

// An index on a masked column is an oracle: a scan of it lists the rows in the order of the
// hidden values, so a session that may insert a guess finds every value by binary search.
// 42501 when a table of `masked` ((table, column) folded) that the statement touches has such
// an index (masked_indexes) and the statement's plan (EXPLAIN QUERY PLAN of check.stmt) reads
// it, or a trigger body reads the table (a trigger's plan is not in the statement's), or the
// statement is unknown (check.stmt null). The mask views read with NOT INDEXED when their table
// has such an index (MaskViews::sync), so reads through them pass. 58030 on engine errors.
Status check_index_order(const MaskCheck& check, const StatementFacts& facts,
                         const std::set<std::pair<std::string, std::string>>& masked);

// The facts as enforce() should see them: the mask views stand for the session's own read of
// the table, so their reads become the statement's own (context ""; they have no recorded
// creator and are nobody else's bodies), and the accesses of the views themselves (objects
// the vault does not know) are dropped: what is checked is the read of the real table.
// Returns nullptr when nothing changes.
std::unique_ptr<StatementFacts> without_mask_views(const StatementFacts& facts,
                                                   const MaskViews& views);

}  // namespace dbvault::storage
