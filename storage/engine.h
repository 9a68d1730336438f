// The embedded SQLite engine, with the vault enforced on every statement.
//
//   auto engine = Engine::open({.database = dir / "data" / "engine.db",
//                               .protected_paths = {dir / "policy.db", dir / "keys",
//                                                   dir / "audit"}}, *vault);
//   auto conn = (*engine)->connect(session);                    // one per client session
//   auto st = (*conn)->prepare("SELECT name FROM users WHERE id = ?");  // checked here ...
//   (*st)->bind(1, std::int64_t{7});
//   while (auto row = (*st)->step(); row.ok() && *row) { ... }  // ... and on the first step
//
// Enforcement (docs/engine.md): prepare() compiles ONE statement with SQLite's authorizer
// installed (storage/authorizer.h), which reports every table and column the statement — and
// every trigger or view body it would run — touches, and refuses what the engine must never
// do (ATTACH, load_extension, schema-changing PRAGMAs, ...). That access set goes to
// Vault::check (realm -> command rules -> RBAC, audited) before anything runs, and again on
// the first step() of every execution, against the snapshot and session state of that moment.
// Accesses made from a trigger or view body must also be allowed for the body's creator
// (docs/vault.md, "Trigger and view bodies"). When SQLite re-prepares a statement on its own
// (another connection changed the schema), the authorizer refuses every access that was not in
// the checked set, so the re-prepared program cannot read or write anything new.
//
// EXPLAIN VAULT: the Vault takes its AccessResolver at open, before an Engine can exist, so
// the server opens storage::SqliteAccessResolver (storage/access_set.h, the same authorizer on
// a read-only connection) for Vault Options, or calls Connection::accesses() itself.
//
// Errors: 42501 denied (the realm or rule, with the rule's MESSAGE); 42601 syntax error or
// more than one statement; 42P01 / 42703 unknown table / column; 57014 interrupted; 58030 the
// engine file cannot be opened; 55P03 a lock was not granted within busy_timeout_ms (40001
// when a WAL read snapshot went stale inside a transaction: retry the transaction); other
// engine errors 42000 with SQLite's message. On a denial nothing was read or written.
//
// Thread-safety: an Engine may be shared by all threads. A Connection and its Statements are
// used by one thread at a time, except Connection::interrupt(), which any thread may call
// while the Connection lives.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"
#include "crypto/secret_bytes.h"
#include "storage/checkpoint_options.h"
#include "vault/access_resolver.h"
#include "vault/session.h"
#include "vault/vault.h"

struct sqlite3;

namespace dbvault::storage {

namespace vfs {
class TdeVfs;
class PageKey;
}  // namespace vfs

class TablespaceCatalog;  // storage/tablespace_catalog.h
class TablespaceKeys;     // storage/tablespace_attach.h
}  // namespace dbvault::storage
namespace dbvault::vault {
class ScopeCatalog;  // vault/key_authorizer.h
}  // namespace dbvault::vault
namespace dbvault::storage {
namespace columns {
class ColumnCatalog;  // storage/columns/column_catalog.h
class ColumnKeys;     // storage/columns/column_keys.h
}  // namespace columns

struct Blob {
  std::vector<std::uint8_t> bytes;
  bool operator==(const Blob&) const = default;
};

// An SQL value: NULL, INTEGER, REAL, TEXT (UTF-8), BLOB.
using Value = std::variant<std::monostate, std::int64_t, double, std::string, Blob>;

struct EngineOptions {
  // The engine database (created, mode 0600, when missing). REQUIRED.
  std::filesystem::path database;
  // The encrypting VFS (storage/vfs/tde_vfs.h) every connection to `database` is opened
  // through: its pages, WAL and journals are encrypted under the VFS's key (the server always
  // sets it: docs/encryption.md, "The engine database"). Unset: a plaintext database (tests
  // and tools only). With it, opening fails with 58000 when the key does not decrypt the file
  // (wrong key, a plaintext file) and XX001 when a page does not authenticate.
  std::shared_ptr<vfs::TdeVfs> vfs;
  // How long a statement waits for another connection's lock before failing with 55P03.
  int busy_timeout_ms = 5000;
  // Files and directories no statement may write to or read from (VACUUM INTO targets, ...):
  // the data directory's policy.db, keys/ and audit/. The engine database's own directory
  // is refused as a VACUUM INTO target too.
  std::vector<std::filesystem::path> protected_paths;
  // Run on every new SQLite connection before the authorizer is installed, e.g. to register
  // the server's PostgreSQL-compatibility functions. Functions it registers are callable
  // only when named in allowed_functions (every other non-built-in function is refused).
  std::function<Status(sqlite3*)> on_open;
  std::vector<std::string> allowed_functions;
  // The key of HASH masks (docs/encryption.md, "Masking"): the server derives it from a TEK of
  // the key store, so equal values hash alike across sessions and restarts, and nobody without
  // the master key can compute a hash. Unset: statements reading a HASH-masked column fail.
  std::shared_ptr<const crypto::SecretBytes> masking_key;
  // Called when the engine itself refuses a statement while compiling it (42501: ATTACH, a
  // schema-changing PRAGMA, load_extension, an access set that cannot be determined — refusals
  // the vault's check never sees), with the refusal and the statement: the server audits
  // them. If it fails, prepare() returns its error (58000) instead of the refusal.
  std::function<Status(vault::Session&, const Error&, std::string_view sql)> on_refusal;
  // When the background checkpointers checkpoint (docs/engine.md, "Checkpoints").
  CheckpointerOptions checkpoints;
};

class Statement;
class Connection;
struct EngineShared;

// Runs on the first step() of every execution, after the vault allowed it and before SQLite
// runs anything: the server writes the execution's realm_access audit record here. An error
// ends the execution (nothing was read or written) and is what step() returns.
using ExecutionHook = std::function<Status(const Statement&)>;

struct PrepareOptions {
  // The statement's rows leave the database (COPY ... TO, a program on the server's export
  // list): every read also counts as an EXPORT of the same object, so command rules
  // `FOR EXPORT` apply as well as those `FOR SELECT`.
  bool exported = false;
  // The text the client sent, when the engine runs another one for it (COPY ... FROM STDIN
  // runs an INSERT per row): what refusals, audit records and Statement::sql() show. Empty:
  // the SQL itself. Read during prepare() only.
  std::string_view source;
};

class Engine {
 public:
  // Opens (creating) the engine database: WAL mode, and the engine's own bookkeeping table
  // (who created which trigger and view). `vault` must outlive the Engine.
  // 22023 for a missing database path; 58030 if the file cannot be opened or set up; with
  // EngineOptions::vfs, 58000 / XX001 as that says.
  // Starts the background checkpointer of the engine database (docs/engine.md, "Checkpoints":
  // session connections run no checkpoint themselves).
  static Result<std::unique_ptr<Engine>> open(EngineOptions options, vault::Vault& vault);
  ~Engine();  // stop()

  // The final checkpoint of the engine database and of every tablespace file whose key a
  // session still holds (TRUNCATE: the WAL is emptied unless a reader of another process
  // holds it), then the checkpointer threads end. Returns the first checkpoint error, if
  // any. Idempotent; later commits are no longer checkpointed until the engine is reopened
  // (SQLite checkpoints when the last connection closes). REQUIRES: no statement running.
  Status stop();
  // OK, or the first error a background checkpoint met (58030 I/O, XX001 integrity): once
  // set, every prepare() fails with it too (fail closed; the committed rows stay in the WAL).
  Status health() const;

  // A new SQLite connection for `session`, which must outlive the Connection and is used by
  // the Connection's thread only. 58030 if the connection cannot be opened (with a VFS: 58000
  // if its key is no longer usable, e.g. the master key became unreachable).
  // `setup`, when given, runs on the new SQLite connection after EngineOptions::on_open and
  // before the authorizer is installed: per-session functions (the server's current_setting(),
  // which reads that session's settings). Functions it registers follow allowed_functions too.
  // `on_execution`, when given, runs before every allowed execution (ExecutionHook).
  Result<std::unique_ptr<Connection>> connect(vault::Session& session,
                                              const std::function<Status(sqlite3*)>& setup = {},
                                              ExecutionHook on_execution = {});

  // Encrypted tablespaces (docs/encryption.md §9). Their files are <dir>/ts_<file id>.db, <dir>
  // the engine database's directory; the catalog answers the key layer (vault::ScopeCatalog).
  const TablespaceCatalog& tablespaces() const;
  // Encrypted columns (docs/encryption.md §13): which columns of which table are encrypted.
  const columns::ColumnCatalog& encrypted_columns() const;
  // What every key scope of the engine protects (tablespaces and encrypted columns), for the
  // vault's KeyAuthorizer.
  const vault::ScopeCatalog& key_scopes() const;
  // CREATE TABLESPACE: creates the file (0600, WAL) through a TdeVfs under `key` (the new TEK
  // of tablespace:<name>) and records the tablespace. 22023 invalid name (rules in
  // tablespace_catalog.h); 42710 it exists; 58000 / 58030
  // as open_encrypted. On error no record and no file is left.
  Status create_tablespace(std::string_view name, std::shared_ptr<const vfs::PageKey> key);
  // DROP TABLESPACE: reads the tables the file holds under `key`; 55000 if it holds any (the
  // catalog is refreshed from the file then); else forgets the tablespace and removes its
  // files (the TEK is the caller's to destroy). 42704 unknown.
  Status drop_tablespace(std::string_view name, std::shared_ptr<const vfs::PageKey> key);
  // The key layer of the server itself, which writes the definition of a table that
  // CREATE TABLE ... TABLESPACE makes for a session not given the tablespace's key (a DBA
  // filling a realm's own tablespace: docs/encryption.md §9.7). Without it such a creation is
  // refused (42501). REQUIRES: called before the first connect().
  void set_server_keys(std::shared_ptr<TablespaceKeys> keys);

 private:
  explicit Engine(std::unique_ptr<EngineShared> shared);
  std::unique_ptr<EngineShared> shared_;
};

struct ConnectionState;

class Connection {
 public:
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Compiles ONE statement of SQLite SQL (42601 if `sql` holds more than one or none) and
  // checks its access set with Vault::check. Nothing runs. On a denial: 42501, audited.
  Result<std::unique_ptr<Statement>> prepare(std::string_view sql, PrepareOptions options = {});
  // prepare() through this connection's statement cache (storage/statement_cache.h), for a
  // text the server runs again with other parameter values (an auto-parameterized simple
  // query, whose values the caller binds). `source` is the text the client sent: what
  // refusals, audit records and Statement::sql() show. Returns the cached statement, reset,
  // owned by the cache: valid until the next prepare_cached() or the Connection's end. An
  // entry prepared under another policy version is prepared again. Errors as prepare();
  // nothing is cached then.
  Result<Statement*> prepare_cached(std::string_view sql, std::string_view source,
                                    PrepareOptions options = {});

  // The access set of `sql` as prepare() computes it, without checking or running it (for
  // EXPLAIN VAULT on this session's connection, which sees its TEMP objects).
  Result<vault::StatementAccesses> accesses(std::string_view sql);

  // Makes the statement running on this connection (if any) fail with 57014 soon. Thread-safe
  // (CancelRequest, statement timeout). REQUIRES: the Connection is alive.
  void interrupt();

  // True inside BEGIN ... COMMIT/ROLLBACK (for ReadyForQuery 'T').
  bool in_transaction() const;

  vault::Session& session();

  // Where this connection gets tablespace keys (nullptr: never; every tablespace is then
  // attached as a stand-in and no statement on it runs). Set once, after connect().
  void set_tablespace_keys(std::shared_ptr<TablespaceKeys> keys);
  // Where this connection gets the keys of encrypted columns (nullptr: never; reading or
  // writing a non-NULL encrypted value then fails with 42501). Set once, after connect().
  void set_column_keys(std::shared_ptr<columns::ColumnKeys> keys);
  // Detaches now, outside a transaction, every tablespace whose key was locked or expired
  // (the server calls it after LOCK REALM and other vault statements; prepare() does too).
  void release_locked_tablespaces();
  // CREATE TABLE t (...) TABLESPACE ts: creates `ts.t` in the tablespace's file through
  // prepare() and step() (so the vault checks the CREATE and registers ts.t as any CREATE
  // TABLE), then records it in the catalog. 42704 unknown tablespace; 42P07 a table or view
  // of that name exists in main or in a tablespace, or the policy names main.<t>; 22023 the
  // table is qualified with another schema, or TEMP; 0A000 ENCRYPTED columns; 25001 inside a
  // transaction block; 42501 denied, or the tablespace's key not released to this session.
  // With ENCRYPTED columns (and no TABLESPACE): creates main.t, records its encrypted columns
  // (RANDOMIZED) and makes sure its column key exists (docs/encryption.md §13.3); errors there.
  // The name check, the table, its record and its key are one transaction: nobody sees the
  // table before its record. IF NOT EXISTS over an existing table or view (main or a
  // tablespace) does nothing at all and sets `notice` (when given) to PostgreSQL's NOTICE
  // text, "relation \"t\" already exists, skipping" (SQLSTATE 42P07).
  Status create_table_in(const ast::CreateTable& statement, std::string* notice = nullptr);

 private:
  friend class Engine;
  friend class Statement;
  explicit Connection(std::unique_ptr<ConnectionState> state);
  Result<std::unique_ptr<Statement>> prepare_as(std::string_view sql, std::string_view source,
                                                PrepareOptions options);
  std::unique_ptr<ConnectionState> state_;
};

struct StatementState;

// A prepared statement. REQUIRES: destroyed before its Connection.
class Statement {
 public:
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based as in SQLite; parameter_name(i) is "$1", ":x", "@x", or "" for "?".
  int parameter_count() const;
  std::string parameter_name(int index) const;
  // 22023 for an index out of range. Text and blobs are copied.
  Status bind(int index, const Value& value);
  void clear_bindings();

  // Result columns (0-based), for RowDescription.
  int column_count() const;
  std::string column_name(int i) const;
  std::string column_decltype(int i) const;  // declared type, "" for an expression
  std::string column_table(int i) const;     // origin table, "" for an expression
  std::string column_origin(int i) const;    // origin column, "" for an expression

  // Runs the statement until the next row. true: a row is ready (read it with column(); the
  // values of encrypted columns are decrypted here, XX001 / 42501 / 58000 when one cannot be);
  // false: done. The first step of every execution (after prepare or reset) checks the access
  // set again with Vault::check (unlocks expire, policies change): on a denial nothing is read
  // or written. After a CREATE TABLE/VIEW/TRIGGER completes, the new object is registered
  // (Vault::register_table with the session user as owner; the creator of a view or trigger).
  Result<bool> step();
  // The checks of the next execution's first step, run now, reading and writing nothing: for
  // a caller that must know before it asks for input (COPY FROM STDIN refuses before the
  // client sends a row). 42501 (audited) when refused. The first step() checks again. OK while
  // an execution is running.
  Status admit();
  // Checks the running execution again, as its first step did, against the policy and
  // session of this moment: for a portal resumed after other statements ran on the session
  // (LOCK REALM, an unlock that expired or was revoked meanwhile). 42501 (audited) if the
  // session may no longer run it; then the caller must not step it further. OK when no
  // execution is running.
  Status recheck();
  // REQUIRES: the last step() returned true; 0 <= i < column_count().
  Value column(int i) const;
  // Ends the current execution (bindings are kept); the next step() starts a new one.
  void reset();

  // True once an execution failed because the schema changed since prepare in a way its
  // check did not cover ("... prepare it again"): only a new statement can run the text.
  bool needs_prepare() const;
  std::int64_t changes() const;  // rows changed by the last completed execution
  bool read_only() const;        // the statement writes nothing (SELECT, ...)
  const std::string& sql() const;
  // The checked access set (names are the engine's, "main.users.ssn").
  const vault::StatementAccesses& accesses() const;

 private:
  friend class Connection;
  explicit Statement(std::unique_ptr<StatementState> state);
  std::unique_ptr<StatementState> state_;
};

}  // namespace dbvault::storage
