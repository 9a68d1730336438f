// The state behind engine.h's handles, shared by engine.cpp, statement.cpp and ddl.cpp.
// Internal to storage/.
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/authorizer.h"
#include "storage/busy_wait.h"
#include "storage/columns/column_catalog.h"
#include "storage/columns/column_session.h"
#include "storage/compile.h"
#include "storage/enforcement.h"
#include "storage/engine.h"
#include "storage/engine_checkpoints.h"
#include "storage/index_reads.h"
#include "storage/masking.h"
#include "storage/read_pin.h"
#include "storage/savepoint_names.h"
#include "storage/statement_cache.h"
#include "storage/tablespace_attach.h"
#include "storage/tablespace_catalog.h"

namespace dbvault::storage {

struct EngineShared {
  EngineOptions options;
  vault::Vault& vault;
  // The encrypted tablespaces (files beside the engine database).
  TablespaceCatalog tablespaces;
  std::filesystem::path tablespace_dir;
  // The encrypted columns (docs/encryption.md §13), and every key scope for the key layer.
  columns::ColumnCatalog columns;
  std::unique_ptr<columns::EngineScopes> scopes;
  // Where VACUUM INTO may not write: the protected paths and the engine's own directory,
  // made absolute and canonical (as far as they exist).
  std::vector<std::filesystem::path> forbidden;
  // CREATE TABLE ... TABLESPACE and DROP TABLESPACE, one at a time: a drop racing a table's
  // creation left the file behind, the name blocked and the policy naming a table never made.
  std::mutex tablespace_ddl;
  // The key layer as the server itself sees it (every tablespace's key); nullptr: none.
  std::shared_ptr<TablespaceKeys> server_keys;
  // The background checkpointers (docs/engine.md, "Checkpoints"); stopped first.
  std::unique_ptr<EngineCheckpoints> checkpoints;

  bool file_allowed(std::string_view name) const;
};

struct ConnectionState {
  ConnectionState(EngineShared& e, vault::Session& s, sqlite3* d);
  ~ConnectionState();

  EngineShared& engine;
  vault::Session& session;
  sqlite3* db;
  std::unique_ptr<Authorizer> auth;
  ExecutionHook on_execution;                          // may be empty
  std::unique_ptr<TablespaceAttachments> tablespaces;  // closed after db (destroyed later)
  bool creating_in_tablespace = false;                 // create_table_in() is running
  MaskViews masks;                                     // the session's mask views
  std::unique_ptr<columns::ColumnSession> columns;     // sealing and result decryption
  StatementCache statements;                           // Connection::prepare_cached()
  EngineCheckpoints::SessionHook checkpoint_hook;      // db's WAL hook (outlives db)
  SavepointNames savepoints;                           // of db's transaction
  BusyWait busy;                                       // db's lock wait (outlives db)
  ReadPin::Query read_pin;                             // ReadPin's query (finalized first)

  EnforcementContext enforcement();
  Result<std::optional<std::vector<BodyCreator>>> creators_of(std::string_view body);
};

struct StatementState {
  StatementState(ConnectionState& c, std::string text) : conn(c), sql(std::move(text)) {}
  ConnectionState& conn;
  std::string sql;
  // The text the client sent, when the statement runs with its literals bound as parameters
  // (Connection::prepare_cached): what refusals, audit records and Statement::sql() show.
  std::string source;
  const std::string& shown() const { return source.empty() ? sql : source; }
  Compiled compiled;
  vault::StatementAccesses resolved;
  std::uint64_t resolved_version = 0;
  bool started = false;   // this execution passed its check
  bool finished = false;  // the last step returned DONE or an error
  bool in_savepoint = false;
  bool stale = false;             // Statement::needs_prepare()
  bool exported = false;          // PrepareOptions::exported
  std::vector<bool> preexisting;  // per compiled.facts.created: the name existed already
  std::int64_t changes = 0;
  std::vector<vault::ColumnMask> masks;  // the session's masks when it was prepared
  // Encrypted columns: the statement was rewritten to seal what it writes (its dbvault_seal
  // calls are the engine's), and which result columns are decrypted; the current row's
  // decrypted values (nullopt: not an encrypted column).
  bool sealed = false;
  columns::ResultPlan plan;
  std::vector<std::optional<Value>> decrypted;
  std::vector<std::string> drops_encrypted;  // dropped_encrypted_tables() of this statement
  // The encrypted columns of its tables when it was compiled, and the column catalog's epoch
  // then (check_encrypted_shape).
  std::uint64_t columns_epoch = 0;
  std::map<std::string, std::vector<columns::EncryptedColumn>> shape;
  std::string rules_text;  // the text the operator rules were checked on ("" for none)
  std::vector<std::optional<std::int64_t>> rules_schema;  // rules_schema() at that check
  IndexPlanMemo index_plan;  // with_index_reads()'s plan of earlier executions
  // Its facts (when it added reads) resolved against the snapshot of indexed_version.
  std::shared_ptr<const StatementFacts> indexed_facts;
  std::uint64_t indexed_version = 0;
  vault::StatementAccesses indexed_resolved;
};

// Encrypted columns (column_writes.cpp): a statement on a table with encrypted columns is
// compiled again from the rewrite that seals the values it writes and the literals and
// parameters it compares a DETERMINISTIC column with (`c` and `sealed` are replaced). 0A000
// for a write the rewrite does not accept or a write made by a trigger or view body. OK and
// unchanged when it touches no such table. `checked`: the text whose program the operator
// rules (columns/use_check.h) must check, after the vault allowed the statement
// (recheck_operator_rules); "" when it touches no table with encrypted columns.
Status rewrite_encrypted_columns(ConnectionState& conn, std::string_view sql, Compiled& c,
                                 bool& sealed, std::string& checked);
// The operator rules on the program of `sql` (the checked text) as compiled in `c`.
Status check_operator_rules(ConnectionState& conn, std::string_view sql, const Compiled& c);
// The schema the rules were checked against (the cookies of main and temp).
std::vector<std::optional<std::int64_t>> rules_schema(ConnectionState& conn);
// After the vault allowed a statement, at prepare and before each execution: the operator
// rules, when they were never checked or main's or temp's schema changed since (a view
// redefined: SQLite will compile the statement again, over the new body).
struct StatementState;
Status recheck_operator_rules(StatementState& st);
// DROP TABLE of tables with encrypted columns (encrypted_drop.cpp): the vault names ("main.t")
// of the tables with catalog records that the statement drops; 25001 when such a drop would run
// inside a transaction block (a ROLLBACK would bring the table back without its record and
// key); after the drop succeeded, their records removed and their column keys destroyed.
std::vector<std::string> dropped_encrypted_tables(const ConnectionState& conn,
                                                  const StatementFacts& facts);
Status check_encrypted_drop(const ConnectionState& conn, const std::vector<std::string>& tables);
Status finish_encrypted_drop(ConnectionState& conn, const std::vector<std::string>& tables);
// The shape of a statement's encrypted columns (columns/encrypted_shape.cpp): SQLite compiles a
// statement again on its own after DROP TABLE t + CREATE TABLE t (... ENCRYPTED), but the
// engine's rewrite that seals its writes and the plan that opens its results were made for the
// old table: a prepared INSERT would store plaintext in the new encrypted column, a SELECT
// return ciphertext. encrypted_shape(): "schema.table" -> its encrypted columns, for each table
// the facts touch that has any. record_encrypted_shape(): at prepare, with the catalog epoch
// read before compile(). check_encrypted_shape(): before each execution; when the shape
// changed, the statement is stale (needs_prepare) and 0A000 "cached plan must not change
// result type", as PostgreSQL answers for a prepared statement whose table changed shape.
using EncryptedShape = std::map<std::string, std::vector<columns::EncryptedColumn>>;
EncryptedShape encrypted_shape(const ConnectionState& c, const StatementFacts& facts);
void record_encrypted_shape(StatementState& st, std::uint64_t epoch_before_compile);
Status check_encrypted_shape(StatementState& st);
// CREATE TABLE ... ENCRYPTED (encrypted_table_ddl.cpp); Connection::create_table_in's branch.
Status create_encrypted_table(Connection& conn, ConnectionState& c, const ast::CreateTable& ct,
                              std::string* notice);

// The checks of a compiled statement against `snap`, at prepare and at each execution: the
// masks (storage/masking.h), then enforce() (storage/enforcement.h). REQUIRES: st.resolved
// resolved against `snap`.
Status check_statement(StatementState& st, const vault::PolicySnapshot& snap);

struct CloseEngineDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using EngineDbPtr = std::unique_ptr<sqlite3, CloseEngineDb>;
// A new read-write connection to the engine database without an authorizer, for the engine's
// own bookkeeping (engine.cpp).
Result<EngineDbPtr> open_bookkeeping(const EngineOptions& options);

// Tables and views a statement creates, and the new name of an ALTER TABLE ... RENAME TO
// (tablespace_ddl.cpp): 42P07 for a name a tablespace holds (it would shadow the tablespace's
// table for unqualified names), 42501 for a table or view created in a tablespace's schema
// other than by create_table_in().
Status check_tablespace_names(const ConnectionState& c, const StatementFacts& facts,
                              std::string_view sql);

// CREATE TABLE ... TABLESPACE ts, after the table was made on this connection and before its
// registration with the vault (tablespace_ddl.cpp): the table enters the catalog (so the key
// layer counts it before the registration's policy change withdraws the keys), and when this
// connection holds a stand-in of ts (the session does not hold ts's key: a DBA outside the
// realm whose own tablespace ts is), its definition is written into ts's file under the
// server's key (Engine::set_server_keys; 42501 when there is none). Returns whether it wrote
// the file; unplace_from_tablespace(..., that) undoes it after a failed registration.
Result<bool> place_in_tablespace(ConnectionState& c, const std::string& ts,
                                 const std::string& table);
void unplace_from_tablespace(ConnectionState& c, const std::string& ts, const std::string& table,
                             bool wrote_file);

// DDL bookkeeping (ddl.cpp). The engine's table of trigger and view creators.
Status ensure_creators_table(sqlite3* db);
// Before the first step of a statement that creates objects: opens a savepoint and notes
// which of the names exist already (IF NOT EXISTS creates nothing then).
Status begin_ddl(StatementState& st);
// After it completed: registers the new objects (tables and views with the vault, owner the
// session user; views' and triggers' creators in the engine's table), checks each new body
// for its creator, and releases the savepoint; on any failure rolls the creation back.
Status finish_ddl(StatementState& st);
// After a failed step: rolls the savepoint back.
void abort_ddl(StatementState& st);

}  // namespace dbvault::storage
