#include "storage/compile.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <vector>

#include "common/sqlstate.h"
#include "grammar/printer.h"
#include "storage/busy_wait.h"
#include "storage/masking.h"
#include "storage/schema_reads.h"
#include "storage/sql_words.h"
#include "storage/vfs/encrypted_db.h"

namespace dbvault::storage {
namespace {

bool only_space_or_semicolons(std::string_view rest) {
  return std::all_of(rest.begin(), rest.end(), [](char ch) {
    return std::isspace(static_cast<unsigned char>(ch)) != 0 || ch == ';';
  });
}

}  // namespace

namespace {

// Every row of an internal query as text: column `only`, or all of them.
Result<SchemaCache::Rows> query_rows(sqlite3* db, Authorizer& auth, const std::string& sql,
                                     std::optional<int> only) {
  auto scope = auth.internal();
  sqlite3_stmt* raw = nullptr;
  if (const int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr); rc != SQLITE_OK) {
    // A cancel (Connection::interrupt) that lands on this internal query is the statement's.
    if ((rc & 0xff) == SQLITE_INTERRUPT) return engine_error(db, rc);
    return make_error(sqlstate::kIoError, std::string("engine: ") + sqlite3_errmsg(db));
  }
  StmtPtr st(raw);
  SchemaCache::Rows out;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    const int n = sqlite3_column_count(st.get());
    auto& row = out.emplace_back();
    for (int c = only.value_or(0); c < (only ? *only + 1 : n); ++c) {
      const auto* text = sqlite3_column_text(st.get(), c);
      row.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "");
    }
  }
  if (rc != SQLITE_DONE) return engine_error(db, rc);
  return out;
}

std::vector<std::string> column_of(const SchemaCache::Rows& rows, std::size_t col) {
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(col < r.size() ? r[col] : std::string());
  return out;
}

}  // namespace

Result<std::vector<std::string>> query_column(sqlite3* db, Authorizer& auth, const std::string& sql,
                                              int col) {
  auto rows = query_rows(db, auth, sql, col);
  if (!rows) return std::move(rows).error();
  return column_of(*rows, 0);
}

Result<std::shared_ptr<const SchemaCache::Rows>> query_schema(sqlite3* db, Authorizer& auth,
                                                              const std::string& schema,
                                                              const std::string& sql) {
  auto scope = auth.internal();
  SchemaCache& cache = auth.schema_cache();
  const auto cookie = cache.cookie(schema);
  if (cookie) {
    if (auto rows = cache.find(sql, *cookie)) return rows;
  }
  auto rows = query_rows(db, auth, sql, std::nullopt);
  if (!rows) return std::move(rows).error();
  auto shared = std::make_shared<const SchemaCache::Rows>(std::move(*rows));
  if (cookie) cache.store(sql, *cookie, shared);
  return shared;
}

Result<std::vector<std::string>> query_schema_column(sqlite3* db, Authorizer& auth,
                                                     const std::string& schema,
                                                     const std::string& sql, int col) {
  auto rows = query_schema(db, auth, schema, sql);
  if (!rows) return std::move(rows).error();
  return column_of(**rows, static_cast<std::size_t>(col));
}

namespace {

// True if `schema` has a table or view named `name` (ASCII case-insensitively, as SQLite
// resolves names); with `bodies`, a trigger or view instead.
Result<bool> in_schema(sqlite3* db, Authorizer& auth, std::string_view schema,
                       std::string_view name, bool bodies = false) {
  auto found = query_schema_column(
      db, auth, std::string(schema),
      "SELECT name FROM " + quote_ident(schema) + ".sqlite_schema WHERE type IN " +
          (bodies ? "('trigger', 'view')" : "('table', 'view')") +
          " AND name = " + grammar::quote_literal(name) + " COLLATE NOCASE",
      0);
  if (!found) return std::move(found).error();
  return !found->empty();
}

// The schemas in the order SQLite searches them for an unqualified name: temp, main, then
// the attached ones (the engine's tablespaces) in the order they were attached.
Result<std::vector<std::string>> search_order(sqlite3* db, Authorizer& auth) {
  auto listed = query_column(db, auth, "PRAGMA database_list", 1);
  if (!listed) return std::move(listed).error();
  std::vector<std::string> order{"temp", "main"};
  for (auto& name : *listed) {
    if (name != "main" && name != "temp") order.push_back(std::move(name));
  }
  return order;
}

// The first of `schemas` with a table or view `table`, "" when none has one.
Result<std::string> placement_of(sqlite3* db, Authorizer& auth,
                                 const std::vector<std::string>& schemas, std::string_view table) {
  for (const auto& schema : schemas) {
    auto found = in_schema(db, auth, schema, table);
    if (!found) return std::move(found).error();
    if (*found) return schema;
  }
  return std::string();
}

// Accesses reported without a schema: the table of that name SQLite would find (TEMP first,
// then main, then the tablespaces), or none (a CTE or subquery, whose own reads are reported
// apart).
Status place_unqualified(sqlite3* db, Authorizer& auth, StatementFacts& f) {
  const bool any = std::any_of(f.accesses.begin(), f.accesses.end(),
                               [](const EngineAccess& a) { return a.schema.empty(); });
  if (!any) return ok_status();
  auto schemas = search_order(db, auth);
  if (!schemas) return std::move(schemas).error();
  std::vector<EngineAccess> placed;
  for (auto& a : f.accesses) {
    if (!a.schema.empty()) {
      placed.push_back(std::move(a));
      continue;
    }
    auto schema = placement_of(db, auth, *schemas, a.table);
    if (!schema) return std::move(schema).error();
    f.placements.emplace_back(a.table, *schema);
    if (schema->empty()) continue;
    a.schema = *schema;
    placed.push_back(std::move(a));
  }
  std::set<EngineAccess> raw = std::move(f.seen);
  f.accesses.clear();
  f.seen.clear();
  for (auto& a : placed) f.add(std::move(a));
  // A re-prepare reports them unqualified again (Authorizer kVerify): let those match.
  for (const auto& a : raw) {
    if (a.schema.empty()) f.seen.insert(a);
  }
  return ok_status();
}

// Drops the reads of table-valued functions (json_each, pragma_*: they read only their
// arguments) — but not of a table or view that has such a name: that is data like any other.
// The dropped accesses stay in `seen`, so that a re-prepare reporting them again passes.
Status drop_function_reads(sqlite3* db, Authorizer& auth, StatementFacts& f) {
  std::set<std::pair<std::string, std::string>> functions;
  for (const auto& m : f.maybe_functions) {
    auto found = in_schema(db, auth, m.schema.empty() ? "main" : m.schema, m.table);
    if (!found) return std::move(found).error();
    if (!*found) functions.insert({m.schema, m.table});
  }
  if (functions.empty()) return ok_status();
  std::erase_if(f.accesses, [&](const EngineAccess& a) {
    return a.command == ast::Command::kSelect && functions.contains({a.schema, a.table});
  });
  return ok_status();
}

// Does `sql` contain `name`, ASCII case-insensitively? (Then a CTE of the statement may
// carry that name.) A name with a quote character may be spelled with it doubled: yes.
bool may_name(std::string_view sql, std::string_view name) {
  if (name.find_first_of("\"'`[]") != std::string_view::npos) return true;
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
  auto it = std::search(sql.begin(), sql.end(), name.begin(), name.end(),
                        [&](char a, char b) { return lower(a) == lower(b); });
  return it != sql.end();
}

// SQLite names the innermost trigger, view *or CTE* as an access's context, by name only.
// Only a trigger or view of the schema that the statement's text cannot also name (as a CTE)
// keeps its reads in its own scope for containment; every other context flows everywhere.
Status find_isolated_bodies(sqlite3* db, Authorizer& auth, std::string_view sql,
                            StatementFacts& f) {
  std::set<std::string> contexts;
  for (const auto& a : f.accesses) {
    if (!a.context.empty()) contexts.insert(a.context);
  }
  for (const auto& c : contexts) {
    if (may_name(sql, c)) continue;
    bool body = false;
    for (const char* schema : {"main", "temp"}) {
      auto found = in_schema(db, auth, schema, c, /*bodies=*/true);
      if (!found) return std::move(found).error();
      body = body || *found;
    }
    if (body) f.isolated_bodies.insert(fold_ascii(c));
  }
  return ok_status();
}

}  // namespace

// The schema queries that complete a statement's facts, run first in a deferred transaction
// (BEGIN, nothing run yet), would open its read snapshot, and the writing statement would then
// have to upgrade it: SQLITE_BUSY at once, without waiting, whenever another connection wrote
// meanwhile (pgbench's BEGIN; UPDATE ...). At its first execution (Completion::kMayDefer), a
// writing statement takes the write lock first instead — what its own first step would do —
// with a write that changes nothing; the busy handler waits for it as for any write.
bool needs_write_lock_first(sqlite3* db, sqlite3_stmt* stmt) {
  return sqlite3_get_autocommit(db) == 0 && sqlite3_stmt_readonly(stmt) == 0 &&
         sqlite3_txn_state(db, nullptr) == SQLITE_TXN_NONE;
}

Status take_write_lock(sqlite3* db, Authorizer& auth) {
  auto scope = auth.internal();
  const std::string sql = "UPDATE main." + std::string(kCreatorsTable) + " SET kind = kind WHERE 0";
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return engine_error(db, rc);
  return ok_status();
}

namespace {

// The schemas whose every table a VACUUM reads: main and temp as before, plus the schema it
// names (a tablespace: `VACUUM ts INTO 'f'` copies ts's tables, which must be checked as
// read); every attached schema when the name is a string literal, whose text is not known.
Result<std::vector<std::string>> vacuumed_schemas(sqlite3* db, Authorizer& auth,
                                                  const std::string& named) {
  std::vector<std::string> out{"main", "temp"};
  if (named.empty() || named == "main" || named == "temp") return out;
  auto order = search_order(db, auth);
  if (!order) return std::move(order).error();
  for (const auto& schema : *order) {
    if (schema == "main" || schema == "temp") continue;
    if (named == "'" || fold_ascii(schema) == named) out.push_back(schema);
  }
  return out;
}

// Adds an access per column of each table-wide access, and for VACUUM a read of every table.
Status complete(sqlite3* db, Authorizer& auth, std::string_view sql, StatementFacts& f) {
  DBV_RETURN_IF_ERROR(place_unqualified(db, auth, f));
  DBV_RETURN_IF_ERROR(drop_function_reads(db, auth, f));
  DBV_RETURN_IF_ERROR(find_isolated_bodies(db, auth, sql, f));
  DBV_RETURN_IF_ERROR(add_schema_reads(db, auth, f));
  DBV_RETURN_IF_ERROR(add_transfer_reads(db, auth, sql, f));
  if (f.whole_database) {
    auto schemas = vacuumed_schemas(db, auth, statement_shape(sql).vacuum_schema);
    if (!schemas) return std::move(schemas).error();
    for (const auto& schema : *schemas) {
      auto tables = query_column(db, auth,
                                 "SELECT name FROM " + quote_ident(schema) +
                                     ".sqlite_schema WHERE type IN ('table', 'view') AND "
                                     "name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND "
                                     "name NOT LIKE 'dbvault\\_%' ESCAPE '\\'",
                                 0);
      if (!tables) return std::move(tables).error();
      for (const auto& t : *tables) {
        f.add({ast::Command::kSelect, schema, t, "", ""});
        f.expand.push_back({ast::Command::kSelect, schema, t, "", ""});
      }
    }
  }
  const std::vector<EngineAccess> expand = f.expand;  // f.add does not touch f.expand
  for (const auto& e : expand) {
    auto cols = table_columns(db, auth, e.schema, e.table, true);
    if (!cols) return std::move(cols).error();
    for (const auto& c : *cols) f.add({e.command, e.schema, e.table, c, e.context});
  }
  return ok_status();
}

}  // namespace

Result<std::vector<std::string>> table_columns(sqlite3* db, Authorizer& auth,
                                               std::string_view schema, std::string_view table,
                                               bool hidden) {
  return query_schema_column(db, auth, std::string(schema),
                             "PRAGMA " + quote_ident(schema) +
                                 (hidden ? ".table_xinfo(" : ".table_info(") + quote_ident(table) +
                                 ")",
                             1);
}

std::string quote_ident(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

namespace {

// PostgreSQL's class 23 code for SQLite's extended constraint result code: drivers raise a
// distinct exception for each (psycopg's UniqueViolation, asyncpg's UniqueViolationError).
SqlState constraint_sqlstate(int extended_rc) {
  switch (extended_rc) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE:
      return SqlState{"23505"};  // unique_violation
    case SQLITE_CONSTRAINT_NOTNULL:
      return SqlState{"23502"};  // not_null_violation
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return SqlState{"23503"};  // foreign_key_violation
    case SQLITE_CONSTRAINT_CHECK:
      return SqlState{"23514"};  // check_violation
    default:
      return SqlState{"23000"};  // integrity_constraint_violation
  }
}

// An I/O or corruption failure. Through the encrypting VFS, its translation (vfs::tde_error:
// XX001 for a page, frame or record that fails authentication, with the file and page; 58000
// for a key that does not open the file); otherwise XX001 (data_corrupted) for SQLite's own
// corruption report or a read the VFS refused as damaged (SQLITE_IOERR_DATA), 58030 for the
// rest (docs/encryption.md §5).
Error storage_error(sqlite3* db, int rc) {
  // The statement's rc may be the primary code (no extended result codes on that connection).
  const int primary = rc & 0xff;
  const int ext = db != nullptr && (sqlite3_extended_errcode(db) & 0xff) == primary
                      ? sqlite3_extended_errcode(db)
                      : rc;
  if (const auto* tde = vfs::TdeVfs::of(db)) return vfs::tde_error(*tde, db, ext, "engine");
  const std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if (ext == SQLITE_IOERR_DATA || primary == SQLITE_CORRUPT) {
    return make_error(sqlstate::kDataCorrupted, "integrity error: engine: " + msg);
  }
  return make_error(sqlstate::kIoError, msg);
}

}  // namespace

Error engine_error(sqlite3* db, int rc) {
  const std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  SqlState code{"42000"};
  const int primary = rc & 0xff;
  if (msg.starts_with("no such table")) {
    code = sqlstate::kUndefinedTable;
  } else if (msg.starts_with("no such column")) {
    code = sqlstate::kUndefinedColumn;
  } else if (msg.starts_with("no such function")) {
    code = sqlstate::kUndefinedFunction;
  } else if (msg.starts_with("no such savepoint")) {
    code = SqlState{"3B001"};  // invalid_savepoint_specification
  } else if (msg.find("syntax error") != std::string::npos || msg.starts_with("incomplete input")) {
    code = sqlstate::kSyntaxError;
  } else if (primary == SQLITE_INTERRUPT ||
             ((primary == SQLITE_BUSY || primary == SQLITE_LOCKED) && take_cancelled_wait())) {
    code = SqlState{"57014"};  // query_canceled (also while it waited for a lock)
  } else if (rc == SQLITE_BUSY_SNAPSHOT) {
    code = SqlState{"40001"};  // serialization_failure: retry the transaction
  } else if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    code = SqlState{"55P03"};  // lock_not_available
  } else if (primary == SQLITE_CONSTRAINT) {
    code = constraint_sqlstate(db != nullptr ? sqlite3_extended_errcode(db) : rc);
  } else if (primary == SQLITE_AUTH || msg.find("may not be modified") != std::string::npos) {
    // SQLite's defensive mode refusing a write to its schema table is a refusal like ours.
    code = sqlstate::kInsufficientPrivilege;
  } else if (primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_CANTOPEN ||
             primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    return storage_error(db, rc);
  }
  Error e = make_error(code, msg);
  // Where SQLite stopped, for the client's "LINE 1: ... ^" (1-based; bytes of the text run).
  if (db != nullptr && sqlite3_error_offset(db) >= 0) e.position = sqlite3_error_offset(db) + 1;
  return e;
}

Status exec_internal(sqlite3* db, Authorizer& auth, const std::string& sql) {
  auto scope = auth.internal();
  char* err = nullptr;
  if (const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err); rc != SQLITE_OK) {
    Error e = (rc & 0xff) == SQLITE_INTERRUPT
                  ? engine_error(db, rc)
                  : make_error(sqlstate::kIoError, "engine: " + std::string(err ? err : "error"));
    sqlite3_free(err);
    return e;
  }
  return ok_status();
}

namespace {

bool is_drop_if_exists(std::string_view sql) {
  std::string upper;
  for (const char ch : sql.substr(0, 64)) {
    upper += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  std::size_t i = upper.find_first_not_of(" \t\r\n");
  return i != std::string::npos && upper.compare(i, 4, "DROP") == 0 &&
         upper.find(" IF EXISTS ") != std::string::npos;
}

}  // namespace

Result<Compiled> compile(sqlite3* db, Authorizer& auth, std::string_view sql,
                         Completion completion) {
  // Only the engine's mask views may name them: a CTE of that name would pose as one, a call
  // of dbvault_mask() would be an oracle for HASH masks (storage/masking.h).
  if (names_mask_objects(sql)) {
    return make_error(sqlstate::kInsufficientPrivilege,
                      "names beginning with dbvault_mask are reserved to the engine's masking");
  }
  Compiled c;
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = SQLITE_OK;
  {
    auto scope = auth.collect(c.facts);
    rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), 0, &raw, &tail);
  }
  c.stmt.reset(raw);
  if (c.facts.refusal) return *c.facts.refusal;  // refused while compiling: SQLITE_AUTH
  if (rc != SQLITE_OK) return engine_error(db, rc);
  if (!c.stmt) return make_error(sqlstate::kSyntaxError, "empty statement");
  const char* end = sql.data() + sql.size();
  if (tail != nullptr && tail < end && !only_space_or_semicolons(std::string_view(tail, end))) {
    return make_error(sqlstate::kSyntaxError, "one statement at a time: text follows the first");
  }
  const StatementShape shape = statement_shape(sql);
  c.facts.whole_database = shape.vacuum;
  c.facts.copies_out = shape.vacuum_into;
  c.facts.renames = shape.renames && c.facts.ddl;
  // Fail closed: a statement SQLite said nothing about is one whose access set is unknown —
  // except DROP ... IF EXISTS of an object that does not exist, which SQLite compiles to a
  // program that touches nothing (read-only, no authorizer call): pgbench -i and psql scripts
  // send it. (Had the object existed, SQLite would have asked about dropping it.)
  const bool drop_nothing = c.facts.callbacks == 0 && is_drop_if_exists(sql);
  if (c.facts.callbacks == 0 && !c.facts.whole_database && !drop_nothing) {
    return make_error(sqlstate::kInsufficientPrivilege,
                      "the engine reported no access for this statement, so the vault cannot "
                      "check it; refused");
  }
  if (c.facts.system_tables && !c.facts.ddl) {
    return make_error(sqlstate::kInsufficientPrivilege,
                      "sqlite_stat* and sqlite_sequence are maintained by the engine; no "
                      "statement may read or write them");
  }
  if (shape.deletes_all) {  // emptying the table is a TRUNCATE too (pgcompat runs it so)
    const std::vector<EngineAccess> reported = c.facts.accesses;
    for (const auto& a : reported) {
      if (a.command == ast::Command::kDelete && a.column.empty() && a.context.empty()) {
        c.facts.add({ast::Command::kTruncate, a.schema, a.table, "", ""});
      }
    }
  }
  if (completion == Completion::kMayDefer && needs_write_lock_first(db, c.stmt.get())) {
    c.pending = true;
    return c;
  }
  DBV_RETURN_IF_ERROR(complete(db, auth, sql, c.facts));
  return c;
}

Status complete_deferred(sqlite3* db, Authorizer& auth, std::string_view sql, Compiled& c) {
  if (!c.pending) return ok_status();
  if (needs_write_lock_first(db, c.stmt.get())) {
    DBV_RETURN_IF_ERROR(take_write_lock(db, auth));
  }
  DBV_RETURN_IF_ERROR(complete(db, auth, sql, c.facts));
  c.pending = false;
  return ok_status();
}

Status check_placement(sqlite3* db, Authorizer& auth, sqlite3_stmt* stmt,
                       const StatementFacts& facts) {
  if (facts.placements.empty()) return ok_status();
  if (needs_write_lock_first(db, stmt)) DBV_RETURN_IF_ERROR(take_write_lock(db, auth));
  auto schemas = search_order(db, auth);
  if (!schemas) return std::move(schemas).error();
  for (const auto& [table, placed] : facts.placements) {
    auto now = placement_of(db, auth, *schemas, table);
    if (!now) return std::move(now).error();
    if (*now == placed) continue;
    const auto name = [](const std::string& s) { return s.empty() ? std::string("none") : s; };
    return make_error(sqlstate::kInsufficientPrivilege,
                      "the schema changed since the statement was prepared: " + table +
                          " was checked as " + name(placed) + "." + table + " and would now be " +
                          name(*now) + "." + table + ", which was not checked; prepare it again");
  }
  return ok_status();
}

void add_export_accesses(StatementFacts& facts) {
  const std::vector<EngineAccess> reads = facts.accesses;  // add() appends
  for (const auto& a : reads) {
    if (a.command != ast::Command::kSelect) continue;
    EngineAccess e = a;
    e.command = ast::Command::kExport;
    facts.add(std::move(e));
  }
}

vault::StatementAccesses resolve(const vault::PolicySnapshot& snap, const StatementFacts& facts) {
  vault::StatementAccesses out;
  out.accesses.reserve(facts.accesses.size());
  for (const auto& a : facts.accesses) {
    const ast::ObjectRef ref{{a.schema, a.table}, a.column};
    out.accesses.push_back({a.command, snap.resolve_access_object(ref).value_or(rules::kNoId)});
    std::string name = a.schema + "." + a.table;
    if (!a.column.empty()) name += "." + a.column;
    out.names.push_back(std::move(name));
  }
  return out;
}

}  // namespace dbvault::storage
