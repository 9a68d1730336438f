// Authorizer: the one SQLite authorizer callback of the engine. While a statement compiles it
// records every (command, table, column) the statement — and every trigger or view body it
// would run — touches, and it refuses what the engine never does. Every action code is either
// mapped to accesses or refused (the table is in docs/engine.md):
//   READ t.c -> SELECT t, t.c        UPDATE t.c -> UPDATE t, t.c     DELETE t -> DELETE t
//   INSERT t -> INSERT t and INSERT on each column of t (expanded after compiling)
//   CREATE [TEMP] TABLE/VIEW t -> CREATE t      DROP [TEMP] TABLE/VIEW t -> DROP t
//   CREATE/DROP [TEMP] INDEX, TRIGGER on t -> ALTER t (an index also reads every column of t)
//   ALTER TABLE t -> ALTER t and each column of t     ANALYZE t -> SELECT t and its columns
//   REINDEX i -> ALTER i (unknown to the vault: DBA only)
//   SELECT, RECURSIVE, TRANSACTION, SAVEPOINT -> nothing (they touch no object)
//   FUNCTION f -> nothing when f is a built-in of the allow list, else refused
//   PRAGMA p -> nothing for the read-only metadata pragmas of the allow list, else refused
//   ATTACH, DETACH, CREATE/DROP VTABLE, COPY, any other code -> refused
// SQLite's own tables: sqlite_schema (sqlite_master) may be read and is written by DDL;
// sqlite_stat* and sqlite_sequence are touched only by the DDL that maintains them (their
// name columns), never read or written by a user's statement (stat4 holds copies of indexed
// values); the engine's own table (dbvault_*) is never touched by a user's statement.
//
// Modes: kCollect while prepare() compiles; kVerify while a statement runs, when SQLite may
// re-prepare it after another connection changed the schema: then every access that is not
// in the statement's checked set is refused (the re-prepared program fails with SQLITE_AUTH
// before it runs); kInternal for the engine's own statements; kIdle refuses everything.
//
// Thread-safety: one per connection, used by that connection's thread.
#pragma once

#include <sqlite3.h>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "common/result.h"
#include "grammar/ast.h"
#include "storage/schema_cache.h"

namespace dbvault::storage {

// One (command, object) as the engine names it, before it meets the policy.
struct EngineAccess {
  ast::Command command = ast::Command::kSelect;
  std::string schema, table, column;  // column "": the table itself
  std::string context;                // innermost trigger or view whose body does it; "": none
  // Not made by the statement itself but by its table's constraints (schema_reads.h): checked
  // like any access, no data flow for containment. Not part of the key: the statement's own
  // accesses are collected first, so an implied one never hides an explicit one.
  bool implied = false;
  auto key() const { return std::tie(command, schema, table, column, context); }
  bool operator<(const EngineAccess& o) const { return key() < o.key(); }
};

// An object a statement creates, registered once it did (engine.h).
struct CreatedObject {
  enum class Kind { kTable, kView, kTrigger };
  Kind kind = Kind::kTable;
  std::string schema, name, table;  // table: what a trigger is on
};

// What the authorizer learned about one statement.
struct StatementFacts {
  std::vector<EngineAccess> accesses;  // each once, in the order SQLite reported them
  std::set<EngineAccess> seen;
  std::optional<Error> refusal;  // the first refused action: the statement must not run
  int callbacks = 0;             // authorizer calls (0: SQLite told us nothing)
  bool ddl = false;              // a DDL action was seen
  bool system_tables = false;    // sqlite_stat*/sqlite_sequence touched (only DDL may)
  bool renames = false;          // ALTER TABLE ... RENAME
  bool whole_database = false;   // VACUUM: copies every table
  bool copies_out = false;       // VACUUM INTO: the copy is a file no realm protects
  // Bodies (folded names) whose reads stay inside them for containment: triggers and views
  // of the schema whose name the statement's own text does not contain. Any other context
  // (a CTE, a name the text could also give a CTE) flows everywhere (compile.cpp).
  std::set<std::string> isolated_bodies;
  // SELECT accesses of names that may be table-valued functions (json_each, pragma_*):
  // kept only if the name is a table or view of its schema (compile.cpp).
  std::vector<EngineAccess> maybe_functions;
  // (command, schema, table, context): accesses to extend to every column of the table.
  std::vector<EngineAccess> expand;
  std::vector<CreatedObject> created;
  // The tables of accesses SQLite reported without a schema (the count(*) shortcut) and the
  // schema each was placed in ("" for none: a CTE). A re-prepare after a schema change may
  // resolve the name elsewhere (DROP of the TEMP table that shadowed it), so every execution
  // places them again first (check_placement).
  std::vector<std::pair<std::string, std::string>> placements;
  // A transaction statement (BEGIN, COMMIT, ROLLBACK: `transaction`) or savepoint statement
  // (BEGIN, RELEASE, ROLLBACK of `savepoint_name`), as SQLite reported it: the connection
  // keeps its open savepoints' names (SavepointNames).
  std::string transaction;
  std::string savepoint_op;
  std::string savepoint_name;

  void add(EngineAccess a);
};

class Authorizer {
 public:
  enum class Mode { kIdle, kCollect, kVerify, kInternal };
  // Installs the callback on `db` (which must outlive this object; removed on destruction).
  // `functions`: names of application functions callable besides the built-ins.
  Authorizer(sqlite3* db, std::vector<std::string> functions);
  ~Authorizer();
  Authorizer(const Authorizer&) = delete;
  Authorizer& operator=(const Authorizer&) = delete;

  // Sets the mode until the returned guard is destroyed (then the previous mode returns).
  class Scope {
   public:
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    friend class Authorizer;
    Scope(Authorizer& a, Mode m, StatementFacts* facts);
    Authorizer& a_;
    Mode mode_;
    StatementFacts* facts_;
  };
  Scope collect(StatementFacts& into) { return Scope(*this, Mode::kCollect, &into); }
  // `checked`: the statement's checked facts. A refused access sets verify_refused().
  Scope verify(StatementFacts& checked) { return Scope(*this, Mode::kVerify, &checked); }
  Scope internal() { return Scope(*this, Mode::kInternal, nullptr); }

  // Whether a target of VACUUM INTO may be written; default: none may.
  void set_file_policy(std::function<bool(std::string_view)> allowed) {
    file_allowed_ = std::move(allowed);
  }
  // While set, dbvault_seal() may be called by the statement itself (not from a body): only
  // when the engine compiles or runs its rewrite of a write to encrypted columns.
  // Turning it on counts anew the dbvault_seal() calls SQLite resolves in collected
  // statements (seal_calls): what SQLite took for calls, whatever the rewrite thought.
  void set_sealing(bool on) {
    sealing_ = on;
    if (on) seal_calls_ = 0;
  }
  int seal_calls() const { return seal_calls_; }
  // Set when kVerify refused something since the last verify scope began.
  const std::optional<Error>& verify_refused() const { return verify_refused_; }

  // The connection's memo of schema answers (compile.h query_schema); cleared whenever an
  // ATTACH or DETACH compiles on the connection, in any mode.
  SchemaCache& schema_cache() {
    if (schema_cache_stale_) schema_cache_.clear();  // not inside the callback: it finalizes
    schema_cache_stale_ = false;
    return schema_cache_;
  }

 private:
  static int callback(void* self, int action, const char* a1, const char* a2, const char* db,
                      const char* context);
  int on_collect(int action, const char* a1, const char* a2, const char* db, const char* ctx);
  int on_verify(int action, const char* a1, const char* a2, const char* db, const char* ctx);
  // `ctx`: the innermost view or trigger calling it (nullptr: the statement itself).
  bool function_allowed(std::string_view name, const char* ctx) const;

  sqlite3* db_;
  std::vector<std::string> functions_;
  Mode mode_ = Mode::kIdle;
  StatementFacts* facts_ = nullptr;
  std::optional<Error> verify_refused_;
  std::function<bool(std::string_view)> file_allowed_;
  SchemaCache schema_cache_;
  bool schema_cache_stale_ = false;
  bool sealing_ = false;
  int seal_calls_ = 0;
};

// True for SQLite's built-in functions that read nothing but their arguments (core, date,
// JSON, math, aggregate, window): the allow list of the authorizer, for other connections
// that run a user's SQL (the vault views). load_extension, fts3_tokenizer and every
// application function are not on it.
bool builtin_function(std::string_view name);

// The engine's own bookkeeping table; no user statement touches it.
inline constexpr std::string_view kCreatorsTable = "dbvault_body_creators";

}  // namespace dbvault::storage
