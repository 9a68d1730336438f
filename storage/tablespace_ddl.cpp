// CREATE / DROP TABLESPACE and CREATE TABLE ... TABLESPACE on the engine (engine.h), and the
// name rules that keep a tablespace's table under the one name the vault knows it by
// (docs/encryption.md §9).
#include <sqlite3.h>

#include <system_error>

#include "common/sqlstate.h"
#include "storage/engine_internal.h"
#include "storage/sql_words.h"
#include "storage/vfs/encrypted_db.h"
#include "storage/vfs/page_key.h"
#include "storage/vfs/tde_vfs.h"

namespace dbvault::storage {
namespace {

namespace fs = std::filesystem;
constexpr SqlState kDuplicateTable{"42P07"};
constexpr SqlState kActiveTransaction{"25001"};

std::string sql_ident(std::string_view name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// The offset of the '(' opening the column list: the first one outside quotes and comments.
std::optional<std::size_t> column_list_start(std::string_view sql) {
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '(') return i;
    if (c == '\'' || c == '"' || c == '`' || c == '[') {
      const char close = c == '[' ? ']' : c;
      for (++i; i < sql.size() && sql[i] != close; ++i) {
      }
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      while (i < sql.size() && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      const auto end = sql.find("*/", i + 2);
      if (end == std::string_view::npos) return std::nullopt;
      i = end + 1;
    }
  }
  return std::nullopt;
}

// `CREATE TABLE [IF NOT EXISTS] <any name> (...)` as `CREATE TABLE "<schema>"."<table>" (...)`:
// for the user's statement and for the text SQLite keeps in sqlite_schema (without schema).
Result<std::string> qualified_create(std::string_view sql, std::string_view schema,
                                     std::string_view table) {
  const auto paren = column_list_start(sql);
  const auto words = leading_words(sql.substr(0, paren.value_or(0)), 8);
  if (!paren || words.size() < 3 || words[0] != "CREATE" || words[1] != "TABLE") {
    return make_error(sqlstate::kSyntaxError,
                      "CREATE TABLE ... TABLESPACE needs a column list (CREATE TABLE t (...))");
  }
  const bool if_not_exists = words.size() > 4 && words[2] == "IF" && words[3] == "NOT";
  return "CREATE TABLE " + std::string(if_not_exists ? "IF NOT EXISTS " : "") + sql_ident(schema) +
         "." + sql_ident(table) + " " + std::string(sql.substr(*paren));
}

void remove_files(const fs::path& dir, const TablespaceInfo& info) {
  std::error_code ec;
  for (const auto& f : TablespaceCatalog::files_of(dir, info)) fs::remove(f, ec);
}

// The tables and views the file of `name` holds, read under `key`.
Result<std::vector<TablespaceTable>> tables_in_file(const fs::path& file, std::string_view name,
                                                    std::shared_ptr<const vfs::PageKey> key) {
  if (!fs::exists(file)) {
    return make_error(sqlstate::kSystemError, "the file of tablespace \"" + std::string(name) +
                                                  "\" (" + file.string() + ") is missing");
  }
  auto tde = vfs::TdeVfs::create(std::move(key));
  if (!tde) return std::move(tde).error();
  vfs::EncryptedOpenOptions o;
  o.create = false;
  auto db = vfs::open_encrypted(file, **tde, o);
  if (!db) return std::move(db).error();
  sqlite3_stmt* raw = nullptr;
  const char* sql =
      "SELECT name, sql FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE "
      "'sqlite\\_%' ESCAPE '\\' ORDER BY name";
  if (sqlite3_prepare_v2(db->get(), sql, -1, &raw, nullptr) != SQLITE_OK) {
    return vfs::tde_error(**tde, db->get(), sqlite3_extended_errcode(db->get()), "read schema");
  }
  StmtPtr st(raw);
  std::vector<TablespaceTable> out;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    const std::string table = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(raw, 1));
    auto q = qualified_create(text != nullptr ? text : "", name, table);
    out.push_back({fold_ascii(table), q ? *q : std::string()});
  }
  if (rc != SQLITE_DONE) return vfs::tde_error(**tde, db->get(), rc, "read schema");
  return out;
}

// Runs `sql` on a connection of the server's own to the file of tablespace `ts`, under the key
// the gate releases to the server (audited as key_access, user dbvault).
Status exec_in_tablespace_file(EngineShared& e, std::string_view ts, const std::string& sql) {
  if (!e.server_keys) {
    return make_error(sqlstate::kInsufficientPrivilege,
                      "permission denied: the key of tablespace \"" + std::string(ts) +
                          "\" is not released to this session, and the engine has no key of "
                          "its own to write the new table's definition");
  }
  auto key = release_ring(*e.server_keys, TablespaceCatalog::scope_of(ts));
  if (!key) return std::move(key).error();
  auto tde = vfs::TdeVfs::create(std::move(*key));
  if (!tde) return std::move(tde).error();
  vfs::EncryptedOpenOptions o;
  o.create = false;
  auto file = e.tablespaces.file(e.tablespace_dir, ts);
  if (!file) {
    return make_error(sqlstate::kUndefinedObject,
                      "tablespace \"" + std::string(ts) + "\" does not exist");
  }
  auto db = vfs::open_encrypted(*file, **tde, o);
  if (!db) return std::move(db).error();
  const int rc = sqlite3_exec(db->get(), sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return vfs::tde_error(**tde, db->get(), rc, "write the table definition");
  return ok_status();
}

// Whether main or temp of `db` has a table or view `name`.
bool main_has(sqlite3* db, std::string_view name) {
  sqlite3_stmt* raw = nullptr;
  const char* sql =
      "SELECT 1 FROM main.sqlite_schema WHERE type IN ('table', 'view') AND name = ?1 COLLATE "
      "NOCASE";
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) return true;  // fail closed
  StmtPtr st(raw);
  sqlite3_bind_text(raw, 1, name.data(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
  return sqlite3_step(raw) != SQLITE_DONE;
}

Result<std::string> schema_sql_of(sqlite3* db, std::string_view ts, std::string_view table) {
  sqlite3_stmt* raw = nullptr;
  const std::string sql = "SELECT sql FROM " + sql_ident(ts) +
                          ".sqlite_schema WHERE type = 'table' AND name = ?1 COLLATE NOCASE";
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
    return engine_error(db, sqlite3_extended_errcode(db));
  }
  StmtPtr st(raw);
  sqlite3_bind_text(raw, 1, table.data(), static_cast<int>(table.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(raw) != SQLITE_ROW) {
    return make_error(sqlstate::kInternalError, "the new table is not in its tablespace");
  }
  return qualified_create(reinterpret_cast<const char*>(sqlite3_column_text(raw, 0)), ts, table);
}

// The new name of `ALTER TABLE [schema.]t RENAME TO new`, folded; "" for any other statement
// (RENAME [COLUMN] a TO b names a column).
std::string renamed_to(std::string_view sql) {
  const auto w = leading_words(sql, 10);
  std::size_t i = 0;
  if (i < w.size() && w[i] == "EXPLAIN") ++i;
  if (i + 1 < w.size() && w[i] == "QUERY" && w[i + 1] == "PLAN") i += 2;
  if (i + 2 >= w.size() || w[i] != "ALTER" || w[i + 1] != "TABLE") return "";
  std::size_t j = i + 3;                        // after the (first part of the) name
  if (j + 1 < w.size() && w[j] == ".") j += 2;  // schema.table
  if (j + 2 >= w.size() || w[j] != "RENAME" || w[j + 1] != "TO") return "";
  return fold_ascii(w[j + 2]);
}

}  // namespace

Status check_tablespace_names(const ConnectionState& c, const StatementFacts& facts,
                              std::string_view sql) {
  const auto& catalog = c.engine.tablespaces;
  if (facts.renames) {
    // A table of main renamed to a tablespace table's name would take over that name for
    // unqualified statements (an authorized user's INSERT INTO t landing in main, attack8).
    const std::string to = renamed_to(sql);
    if (!to.empty() && catalog.tablespace_of_table(to)) {
      return make_error(kDuplicateTable, "relation \"" + to + "\" already exists in tablespace " +
                                             *catalog.tablespace_of_table(to));
    }
  }
  for (const auto& o : facts.created) {
    const std::string schema = fold_ascii(o.schema);
    if (o.kind == CreatedObject::Kind::kTrigger) {
      // Its creator could not be recorded (the engine's table is in main): a body nobody
      // answers for would run with the rights of whoever fires it.
      if (!catalog.find(schema)) continue;
      return make_error(
          sqlstate::kInsufficientPrivilege,
          "permission denied: no trigger may be created in tablespace \"" + schema + "\"");
    }
    if (catalog.find(schema)) {
      if (c.creating_in_tablespace) continue;
      return make_error(sqlstate::kInsufficientPrivilege,
                        "permission denied: a table is placed in tablespace \"" + schema +
                            "\" only with CREATE TABLE " + o.name + " (...) TABLESPACE " + schema +
                            ", and a view cannot be");
    }
    if (schema == "main" && catalog.tablespace_of_table(o.name)) {
      return make_error(kDuplicateTable, "relation \"" + o.name +
                                             "\" already exists in tablespace " +
                                             *catalog.tablespace_of_table(o.name));
    }
  }
  return ok_status();
}

const TablespaceCatalog& Engine::tablespaces() const { return shared_->tablespaces; }

const columns::ColumnCatalog& Engine::encrypted_columns() const { return shared_->columns; }

const vault::ScopeCatalog& Engine::key_scopes() const { return *shared_->scopes; }

Status Engine::create_tablespace(std::string_view raw_name,
                                 std::shared_ptr<const vfs::PageKey> key) {
  auto name = TablespaceCatalog::normalize_name(raw_name);
  if (!name) return std::move(name).error();
  if (shared_->tablespaces.find(*name)) {
    return make_error(sqlstate::kDuplicateObject, "tablespace \"" + *name + "\" already exists");
  }
  auto file_id = TablespaceCatalog::new_file_id();
  if (!file_id) return std::move(file_id).error();
  const TablespaceInfo info{*name, key->algorithm(), {}, *file_id};
  const fs::path file = TablespaceCatalog::file_of(shared_->tablespace_dir, info);
  {
    auto tde = vfs::TdeVfs::create(std::move(key));
    if (!tde) return std::move(tde).error();
    auto db = vfs::open_encrypted(file, **tde, {});
    if (!db) {
      remove_files(shared_->tablespace_dir, info);
      return std::move(db).error();
    }
  }
  auto book = open_bookkeeping(shared_->options);
  Status s = book ? shared_->tablespaces.add(book->get(), info) : Status(std::move(book).error());
  if (!s) remove_files(shared_->tablespace_dir, info);
  return s;
}

Status Engine::drop_tablespace(std::string_view raw_name, std::shared_ptr<const vfs::PageKey> key) {
  const std::string name = fold_ascii(raw_name);
  std::lock_guard lock(shared_->tablespace_ddl);
  const auto info = shared_->tablespaces.find(name);
  if (!info) {
    return make_error(sqlstate::kUndefinedObject, "tablespace \"" + name + "\" does not exist");
  }
  const fs::path file = TablespaceCatalog::file_of(shared_->tablespace_dir, *info);
  auto tables = tables_in_file(file, name, std::move(key));
  if (!tables) return std::move(tables).error();
  auto book = open_bookkeeping(shared_->options);
  if (!book) return std::move(book).error();
  if (!tables->empty()) {
    std::string list;
    for (const auto& t : *tables) list += (list.empty() ? "" : ", ") + name + "." + t.name;
    (void)shared_->tablespaces.set_tables(book->get(), name, std::move(*tables));
    return make_error(
        sqlstate::kObjectNotInPrerequisiteState,
        "tablespace \"" + name + "\" is not empty: it holds " + list + " (drop them first)");
  }
  DBV_RETURN_IF_ERROR(shared_->tablespaces.remove(book->get(), name));
  shared_->checkpoints->forget(name);
  remove_files(shared_->tablespace_dir, *info);
  return ok_status();
}

Status Connection::create_table_in(const ast::CreateTable& ct, std::string* notice) {
  ConnectionState& c = *state_;
  if (!ct.encrypted_columns.empty()) return create_encrypted_table(*this, c, ct, notice);
  if (ct.temporary) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "a TEMP table lives in memory and cannot be placed in a tablespace");
  }
  const std::string ts = fold_ascii(ct.tablespace.value_or(""));
  std::lock_guard lock(c.engine.tablespace_ddl);
  if (!c.engine.tablespaces.find(ts)) {
    return make_error(sqlstate::kUndefinedObject, "tablespace \"" + ts + "\" does not exist");
  }
  if (!ct.table.schema.empty() && fold_ascii(ct.table.schema) != ts) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "a table in tablespace " + ts + " is named " + ts + "." + ct.table.name +
                          ", not " + ct.table.schema + "." + ct.table.name);
  }
  if (in_transaction()) {
    return make_error(kActiveTransaction,
                      "CREATE TABLE ... TABLESPACE cannot run inside a transaction block");
  }
  const auto holder = c.engine.tablespaces.tablespace_of_table(ct.table.name);
  const bool policy_names_main =
      c.engine.vault.snapshot()->resolve_access_object({{"main", ct.table.name}, ""}).has_value();
  bool in_main = false;
  {
    auto scope = c.auth->internal();
    in_main = main_has(c.db, ct.table.name);
  }
  // IF NOT EXISTS over an existing table: PostgreSQL's NOTICE, and nothing done.
  if (creates_if_not_exists(ct.source) && (holder || in_main)) {
    if (notice != nullptr) *notice = "relation \"" + ct.table.name + "\" already exists, skipping";
    return ok_status();
  }
  if (holder || in_main || policy_names_main) {
    return make_error(
        kDuplicateTable,
        "relation \"" + ct.table.name + "\" already exists " +
            (holder    ? "in tablespace " + *holder
             : in_main ? std::string("in main")
                       : std::string("in the vault's policy as main.") + ct.table.name) +
            ": a table in a tablespace needs a name of its own (names resolve "
            "one way)");
  }
  auto sql = qualified_create(ct.engine_sql, ts, ct.table.name);
  if (!sql) return std::move(sql).error();
  c.creating_in_tablespace = true;
  Status ran = [&]() -> Status {
    auto st = prepare(*sql);
    if (!st) return std::move(st).error();
    for (;;) {
      auto row = (*st)->step();
      if (!row) return std::move(row).error();
      if (!*row) return ok_status();
    }
  }();
  c.creating_in_tablespace = false;
  return ran;  // the catalog, the file and the registration: finish_ddl, place_in_tablespace
}

Result<bool> place_in_tablespace(ConnectionState& c, const std::string& ts,
                                 const std::string& table) {
  auto scope = c.auth->internal();  // the catalog's tables are the engine's own
  auto stored = schema_sql_of(c.db, ts, table);
  if (!stored) return std::move(stored).error();
  // Without the key the session touched its stand-in only (and read nothing): the definition
  // is the server's to write.
  const bool write_file = !c.tablespaces->attached_for_real(ts);
  if (write_file) {
    auto sql = qualified_create(*stored, "main", table);
    if (!sql) return std::move(sql).error();
    DBV_RETURN_IF_ERROR(exec_in_tablespace_file(c.engine, ts, *sql));
  }
  Status recorded = c.engine.tablespaces.add_table(c.db, ts, {fold_ascii(table), *stored});
  if (!recorded) {
    if (write_file) (void)exec_in_tablespace_file(c.engine, ts, "DROP TABLE " + sql_ident(table));
    return std::move(recorded).error();
  }
  return write_file;
}

void unplace_from_tablespace(ConnectionState& c, const std::string& ts, const std::string& table,
                             bool wrote_file) {
  {
    auto scope = c.auth->internal();
    (void)c.engine.tablespaces.remove_table(c.db, ts, fold_ascii(table));
  }
  if (wrote_file) (void)exec_in_tablespace_file(c.engine, ts, "DROP TABLE " + sql_ident(table));
}

void Engine::set_server_keys(std::shared_ptr<TablespaceKeys> keys) {
  shared_->server_keys = std::move(keys);
}

}  // namespace dbvault::storage
