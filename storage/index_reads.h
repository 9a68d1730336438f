// Reads the engine makes through an index without telling the authorizer. SQLite reports the
// columns a statement names, not the indexes its plan scans; yet an index scan lists the rows
// in the order of the index's key columns (and a partial index's rows are those its WHERE
// admits). With a column in a realm, `SELECT id FROM t` that SQLite answers from the covering
// index on the realm column, or `SELECT id FROM t INDEXED BY i`, returns the rows in the
// order of the hidden values: with a guess inserted, a binary search finds each one.
// Thread-safety: the connection's thread.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "storage/authorizer.h"
#include "vault/policy_snapshot.h"

namespace dbvault::storage {

// The plan of one statement as with_index_reads() last read it (EXPLAIN QUERY PLAN compiles
// the text again, and SQLite takes its global mutex for that: per execution it was the
// largest cost of a prepared SELECT). The plan SQLite runs is the one the statement was
// compiled with; it changes only when SQLite compiles it again: a schema change (the cookie of
// a schema it reads), an expiry (ANALYZE, a flag PRAGMA, a LIKE redefined), a re-prepare. So
// the memo holds while the statement's re-prepare count, its expiry, the cookies of main,
// temp and every schema its facts name, and the connection's SchemaCache::generation()
// (ATTACH, DETACH, another file under a schema's name, a DDL statement executed) are all
// as they were; never inside a write transaction (an uncommitted cookie can be rolled back
// and reused by other DDL). A cookie is read again only when its file's data version
// (SchemaCache::data_version) moved since it was read. Under the same key and policy version,
// with_index_reads()'s whole answer is kept too (the indexes of its tables are part of the schema
// the cookies name; the columns the policy names, of the snapshot's version). One per statement,
// made for one set of facts (the caller clears it when they change), the connection's thread.
struct IndexPlanMemo {
  struct Cookie {
    std::string schema;
    std::int64_t value = 0;
    std::optional<unsigned> data_version;  // the file's, when value was read (if it could vouch)
  };
  struct Key {
    const sqlite3_stmt* stmt = nullptr;
    int reprepares = 0;
    std::uint64_t generation = 0;
    std::string text;
    std::vector<Cookie> cookies;  // main, temp and each schema the facts name
  };
  std::optional<Key> key;  // nullopt: nothing stored
  bool plan_read = false;
  std::vector<std::string> plan;
  std::optional<bool> counted;  // simple_count's verdict, once asked
  bool derived = false;         // `result` is the answer under `key` and `policy_version`
  std::uint64_t policy_version = 0;
  std::vector<EngineAccess> made_for;  // the facts' accesses it was derived for
  std::shared_ptr<const StatementFacts> result;
};

// True if one of the EXPLAIN QUERY PLAN lines names index `name` ("... USING [COVERING]
// INDEX name ..."), as a whole word.
bool plan_reads_index(const std::vector<std::string>& plan, const std::string& name);

// The facts with, for each index of a table the statement touches (not TEMP) whose key
// columns include a column the policy names (`snap` resolves it to a column object) and that
// the statement's plan (EXPLAIN QUERY PLAN of `stmt`) reads, a SELECT of each such column in
// the statement's own context (the order reaches the session; also a data flow for
// containment). An index on an expression or a partial index counts as reading every
// column of the table the policy names (not parsed: fail closed). One plan is exempt: a
// `SELECT count(*) FROM t` the engine answers by counting an index's entries (its one plan
// line, and the program's Count opcode), which tells no order. nullptr when nothing is added
// (the common case costs one cached schema query per table touched). 58030 on engine errors;
// an EXPLAIN statement reads no row and gets nothing added. `memo` (may be null): the
// statement's plan from an earlier execution, used and refreshed as IndexPlanMemo says.
Result<std::shared_ptr<const StatementFacts>> with_index_reads(sqlite3* db, Authorizer& auth,
                                                               const vault::PolicySnapshot& snap,
                                                               sqlite3_stmt* stmt,
                                                               const StatementFacts& facts,
                                                               IndexPlanMemo* memo = nullptr);

}  // namespace dbvault::storage
