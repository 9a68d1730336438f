// pgcompat: what PostgreSQL clients send that the embedded SQLite engine does not speak.
//
// The session layer calls translate() for every engine statement (after grammar::split_statements
// and grammar::classify have taken the vault statements out). translate() says what to do:
// run one or more statements on the engine (Rewritten), answer directly (ResultSet: SHOW,
// version(), psql's catalog queries...), serve a COPY (CopySpec), or refuse (Error: 0A000 for
// PostgreSQL-only features, 42601 for syntax, 42704 for an unknown setting...).
// docs/dialect.md is the user's view of all of this: SQLite's SQL, what is translated, what is
// refused.
//
// Thread-safety: the free functions are thread-safe (libpg_query keeps its state per thread);
// a Settings object belongs to one session and is used by one thread at a time; a
// CatalogSource must be usable from the session's thread.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/result.h"

namespace dbvault::server::pgcompat {

// PostgreSQL type OIDs (pg_type.oid) that dbvault reports.
namespace type_oid {
inline constexpr std::uint32_t kBool = 16;
inline constexpr std::uint32_t kBytea = 17;
inline constexpr std::uint32_t kChar = 18;  // "char", a single byte
inline constexpr std::uint32_t kName = 19;
inline constexpr std::uint32_t kInt8 = 20;
inline constexpr std::uint32_t kInt2 = 21;
inline constexpr std::uint32_t kInt4 = 23;
inline constexpr std::uint32_t kText = 25;
inline constexpr std::uint32_t kOid = 26;
inline constexpr std::uint32_t kJson = 114;
inline constexpr std::uint32_t kFloat4 = 700;
inline constexpr std::uint32_t kFloat8 = 701;
inline constexpr std::uint32_t kUnknown = 705;
inline constexpr std::uint32_t kNameArray = 1003;
inline constexpr std::uint32_t kBpchar = 1042;
inline constexpr std::uint32_t kVarchar = 1043;
inline constexpr std::uint32_t kDate = 1082;
inline constexpr std::uint32_t kTime = 1083;
inline constexpr std::uint32_t kTimestamp = 1114;
inline constexpr std::uint32_t kTimestamptz = 1184;
inline constexpr std::uint32_t kNumeric = 1700;
inline constexpr std::uint32_t kRegclass = 2205;
inline constexpr std::uint32_t kUuid = 2950;
inline constexpr std::uint32_t kJsonb = 3802;
}  // namespace type_oid

// The PostgreSQL type OID for an SQLite declared column type ("int", "VARCHAR(100)",
// "timestamp with time zone", ...), by PostgreSQL's type names first and SQLite's affinity
// rules second (docs/dialect.md §Types). Empty or unknown names give text (25).
std::uint32_t type_oid_for_declared(std::string_view declared_type);

// --- Results --------------------------------------------------------------------------------

struct Column {
  std::string name;
  std::uint32_t type_oid;
};

// An answer computed without the engine. Values are in PostgreSQL's text format; nullopt is
// SQL NULL. `tag` is the CommandComplete tag ("SELECT 3", "SHOW", "SET", "BEGIN", ...). A
// ResultSet without columns is a command without rows (send no RowDescription).
// `notice`, when not empty, is a WARNING to send (NoticeResponse) before CommandComplete, as
// PostgreSQL does for BEGIN inside a transaction or COMMIT outside one.
// `deallocate`, when set, asks the session to drop that prepared statement too (empty: all of
// them), as DEALLOCATE and DISCARD ALL do.
struct ResultSet {
  std::vector<Column> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::string tag;
  std::string notice;
  std::optional<std::string> deallocate;
};

// Run these engine statements instead of the original, in order. When there are several
// (DROP TABLE a, b; TRUNCATE a, b) they must succeed or fail as one: run them with
// run_as_one(). `tag`, when not empty, is the CommandComplete tag to send instead of the
// engine's ("TRUNCATE TABLE" for a TRUNCATE rewritten to DELETE, "ALTER TABLE", ...). Every
// statement still goes through the vault's checks like any engine statement. A client's $n
// is ?n in the rewritten text: bind parameter n at SQLite index n (sqlite3_bind_parameter_count
// is the highest n). The statements call functions prepare_connection() registers.
struct Rewritten {
  std::vector<std::string> statements;  // never empty
  std::string tag;
};

// A COPY statement, for the session layer, which owns COPY's data flow. Only COPY to or from
// the client (STDIN / STDOUT) exists; COPY to or from a server file or program is refused
// (42501), as dbvault never lets SQL reach its host's file system.
struct CopySpec {
  enum class Direction { kFrom, kTo };  // kFrom: client -> table (COPY ... FROM STDIN)
  enum class Format { kText, kCsv };    // binary COPY is refused with 0A000
  Direction direction = Direction::kFrom;
  Format format = Format::kText;
  std::string table;                        // empty when `query` is set
  std::vector<std::string> columns;         // as named, else every column of the table in order
  std::string query;                        // COPY (query) TO STDOUT: the engine statement
                                            // to run, already translated ($n is ?n)
  char delimiter = '\t';                    // text: tab; csv: ','
  std::string null_string = "\\N";          // text: \N; csv: empty string
  bool header = false;                      // csv only
  char quote = '"';                         // csv only
  char escape = '"';                        // csv only (defaults to quote)
  std::vector<std::string> force_quote;     // csv TO: FORCE_QUOTE columns ("*" = all)
  std::vector<std::string> force_not_null;  // csv FROM
};

// --- Session settings (GUCs) -------------------------------------------------------------------

// Who the session is; fixed at login by the session layer.
struct SessionIdentity {
  std::string user;
  std::string database;
  std::int32_t backend_pid = 0;  // the pid of BackendKeyData
  bool is_superuser = false;     // dbvault reports "off": no account bypasses the vault
};

// Per-session run-time parameters: SET / RESET / SHOW / current_setting(), and the
// ParameterStatus set (server_version "15.0 (dbvault 0.1)", server_encoding UTF8,
// client_encoding UTF8, DateStyle "ISO, MDY", TimeZone, integer_datetimes on,
// standard_conforming_strings on, application_name, is_superuser off, session_authorization).
// Names are case-insensitive, as in PostgreSQL. SET inside a transaction is undone by its
// ROLLBACK and SET LOCAL lasts until the transaction ends (translate() drives this from the
// transaction statements it sees). docs/dialect.md §Settings lists every accepted parameter.
class Settings {
 public:
  explicit Settings(SessionIdentity identity);

  const SessionIdentity& identity() const { return identity_; }

  // A parameter from the StartupMessage (application_name, client_encoding, DateStyle,
  // TimeZone, extra_float_digits, search_path, options are not accepted here). Same checks as
  // set(); the session refuses the connection on error.
  Status apply_startup(std::string_view name, std::string_view value);

  // SET [SESSION | LOCAL] name = value. Errors: 42704 unknown parameter, 55P02 read-only
  // parameter, 22023 invalid value, 0A000 a value the engine cannot honour (client_encoding
  // other than UTF8, standard_conforming_strings off, ...). On error nothing changed.
  Status set(std::string_view name, std::string_view value, bool local = false);
  // RESET name / RESET ALL (name "all"). Same errors as set().
  Status reset(std::string_view name);
  // SHOW name / current_setting(name): the value in PostgreSQL's text form; 42704 if unknown.
  Result<std::string> show(std::string_view name) const;
  // SHOW ALL: (name, setting) for every parameter, ordered by name.
  std::vector<std::pair<std::string, std::string>> all() const;

  // Every ParameterStatus parameter with its value (for the startup sequence).
  std::vector<std::pair<std::string, std::string>> reported() const;
  // The ParameterStatus parameters whose value changed since the last call (or since
  // construction); send them after the statement's CommandComplete.
  std::vector<std::pair<std::string, std::string>> take_changed();

  // Transaction boundaries, so that SET follows PostgreSQL's transactional rules. translate()
  // calls these for BEGIN/COMMIT/ROLLBACK; the session layer calls on_transaction_end() when
  // the engine ends a transaction on its own (an error in an implicit transaction).
  // `implicit`: the session layer's implicit block around a simple Query of several
  // statements (PostgreSQL's TBLOCK_IMPLICIT_INPROGRESS). translate() treats it as a block
  // (SET LOCAL lasts until it ends, COMMIT / ROLLBACK end it, DISCARD ALL is 25001), except
  // that BEGIN makes it an ordinary block without a warning and SAVEPOINT, RELEASE and
  // ROLLBACK TO are 25P01, as in PostgreSQL. Inside a transaction on_transaction_begin() only
  // makes an implicit block an ordinary one (BEGIN in such a string: the statements before it
  // become part of the new block), and on_transaction_begin(true) does nothing.
  void on_transaction_begin(bool implicit = false);
  void on_transaction_end(bool committed);
  bool in_transaction() const { return in_transaction_; }
  bool in_implicit_block() const { return implicit_block_; }
  // PostgreSQL's failed transaction block: after an error inside a transaction, every
  // statement but ROLLBACK [TO SAVEPOINT] is refused (25P02) and COMMIT rolls back.
  // translate() marks it for its own errors; the session layer calls on_statement_failed()
  // for the engine's and the vault's errors. No effect outside a transaction.
  void on_statement_failed() { failed_ = in_transaction_; }
  void on_savepoint_rollback() { failed_ = false; }
  bool transaction_failed() const { return failed_; }

  // Typed views for the session layer (0 = no limit).
  std::int64_t statement_timeout_ms() const;
  std::int64_t idle_in_transaction_timeout_ms() const;
  int extra_float_digits() const;

 private:
  using Values = std::map<std::string, std::string, std::less<>>;  // lower-case name -> value
  Result<std::string> checked(std::string_view name, std::string_view value) const;
  SessionIdentity identity_;
  Values effective_;      // what SHOW says
  Values session_;        // the values without SET LOCAL
  Values at_begin_;       // session_ when the transaction began (restored by ROLLBACK)
  Values last_reported_;  // what the client was last told by ParameterStatus
  // Whether effective_ may differ from last_reported_: set by every change of effective_
  // after the constructor (set, reset, transaction begin and end), cleared by take_changed.
  bool maybe_changed_ = false;
  bool in_transaction_ = false;
  bool implicit_block_ = false;  // in_transaction_, and the block is the session's implicit one
  bool failed_ = false;
};

// --- The catalog the emulated pg_catalog answers from -------------------------------------------

struct RelationInfo {
  std::string name;
  std::uint32_t oid = 0;  // stable while the relation exists, unique, >= 16384
  char kind = 'r';        // 'r' table, 'v' view, 'i' index
  std::string owner;
};

struct ColumnInfo {
  std::string name;
  std::string declared_type;  // as written in CREATE TABLE (SQLite keeps it)
  bool not_null = false;
  std::optional<std::string> default_expr;  // as written
  int primary_key_position = 0;             // 1-based position in the primary key; 0 = none
};

struct IndexInfo {
  std::string name;
  bool unique = false;
  bool primary = false;  // the table's primary key (declared, or added by ADD PRIMARY KEY)
  std::vector<std::string> columns;
};

struct RoleInfo {
  std::string name;
  bool superuser = false;
  bool can_login = true;
  std::vector<std::string> member_of;
};

// What the emulated catalog queries may show. The session layer implements it over the
// engine and the vault; it must list only what the session may know exists (a table hidden
// by a realm is the implementer's decision, not pgcompat's). Errors propagate to the client.
class CatalogSource {
 public:
  virtual ~CatalogSource() = default;
  // Tables and views (not indexes), in any order.
  virtual Result<std::vector<RelationInfo>> relations() const = 0;
  // Columns of `table` in declaration order; 42P01 if there is no such table or view.
  virtual Result<std::vector<ColumnInfo>> columns(std::string_view table) const = 0;
  // Indexes of `table` (the automatic index of a PRIMARY KEY / UNIQUE constraint included).
  virtual Result<std::vector<IndexInfo>> indexes(std::string_view table) const = 0;
  virtual Result<std::vector<RoleInfo>> roles() const = 0;
};

// A CatalogSource over an SQLite connection's main schema (tests, and a base the session
// layer may wrap). Roles: just `owner`, a login role. REQUIRES: `db` outlives it.
class SqliteCatalog final : public CatalogSource {
 public:
  SqliteCatalog(sqlite3* db, std::string owner) : db_(db), owner_(std::move(owner)) {}
  Result<std::vector<RelationInfo>> relations() const override;
  Result<std::vector<ColumnInfo>> columns(std::string_view table) const override;
  Result<std::vector<IndexInfo>> indexes(std::string_view table) const override;
  Result<std::vector<RoleInfo>> roles() const override;

 private:
  sqlite3* db_;
  std::string owner_;
};

// --- Translation --------------------------------------------------------------------------------

using Translation = std::variant<Rewritten, ResultSet, CopySpec>;

// One engine statement in (REQUIRES: a single statement, as split_statements gives it, not an
// extension statement), what to do with it out. Settings are updated by SET/RESET and by the
// transaction statements. Fast path: a statement needing no translation costs one token scan
// and comes back as Rewritten with the text unchanged.
Result<Translation> translate(std::string_view sql, Settings& settings,
                              const CatalogSource& catalog);

// COPY alone (translate() calls it for a COPY). Errors: 42501 for a server file or PROGRAM,
// 0A000 for BINARY or an unsupported option, 42601 for syntax, 42P01 for an unknown table.
Result<CopySpec> parse_copy(std::string_view sql, const CatalogSource& catalog);

// Runs a Rewritten's statements as one unit through `exec` (which the session layer makes go
// through the vault and the engine): one statement is run as is; several are wrapped in
// SAVEPOINT / RELEASE, and on the first error ROLLBACK TO + RELEASE undo the others and that
// error is returned.
Status run_as_one(const Rewritten& rewritten,
                  const std::function<Status(std::string_view statement)>& exec);

// Parameter types for ParameterDescription, n_params entries: from what each $n is compared
// with, assigned to or inserted into (the column's declared type through CatalogSource), or
// from an explicit $n::type cast; otherwise text (25), so that clients send text, which the
// engine's type affinity converts as the column requires. Never fails: a statement it
// cannot analyse gets text for every parameter.
// REQUIRES: `sql` is the statement as the client sent it (with $n, before translate()).
std::vector<std::uint32_t> infer_parameter_types(std::string_view sql, int n_params,
                                                 const CatalogSource& catalog);

// The type PostgreSQL would give each column of a SELECT, as far as the client's text says
// it without a value: a cast ($1::integer, x::text), a literal (int4, numeric, text, bool),
// count() (int8), now() (timestamptz), arithmetic on those, comparisons and boolean
// expressions (bool); 0 for a column it cannot tell (a column reference: its declared type
// decides). Empty for anything but a plain SELECT, and for a select list with `*`.
// REQUIRES: `sql` is the statement as the client sent it (before translate()).
std::vector<std::uint32_t> infer_result_types(std::string_view sql);

// A clear error for an engine failure. When the statement is PostgreSQL syntax that SQLite
// does not speak (libpg_query parses it, SQLite does not), 0A000 "<feature> is PostgreSQL
// syntax the embedded engine does not support" with SQLite's message as detail; otherwise
// SQLite's message with the SQLSTATE PostgreSQL would use (42601 syntax, 42P01 no such table,
// 42703 no such column, 42883 no such function, 23505 unique violation, 23502 not null,
// 23503 foreign key, 23514 check, 42P07 already exists, 40001 busy/locked...).
// REQUIRES: `sql` is the statement as the client sent it (before translate()), so that
// PostgreSQL's parser can read it.
Error explain_engine_error(std::string_view sql, std::string_view sqlite_message);

// Prepares a session's engine connection for PostgreSQL clients: registers version(),
// current_setting(name [, missing_ok]), current_database(), current_schema(),
// pg_backend_pid(), now() (and the current_user family that translate() rewrites to
// functions), reading `settings`; and turns off SQLite's double-quoted string literals, so
// that "x" is always an identifier as in PostgreSQL. REQUIRES: `settings` outlives `db`'s
// use by this session. 58000 on failure.
Status prepare_connection(sqlite3* db, const Settings& settings);

// The names of the functions prepare_connection() registers (for the engine's allow-list).
std::vector<std::string> function_names();

}  // namespace dbvault::server::pgcompat
