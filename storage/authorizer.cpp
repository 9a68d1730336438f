#include "storage/authorizer.h"

#include <algorithm>
#include <span>
#include <utility>

#include "common/sqlstate.h"
#include "rules/command_rule.h"

namespace dbvault::storage {
namespace {

using ast::Command;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}
bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// SQLite's built-in functions that read nothing but their arguments (core, date, JSON, math,
// aggregate, window), and the internal ones its own ALTER TABLE uses (callable only from
// SQLite's nested statements). Anything else — load_extension, fts3_tokenizer, an
// application function not named in the options — is refused.
constexpr std::string_view kBuiltinFunctions[] = {"abs",
                                                  "changes",
                                                  "char",
                                                  "coalesce",
                                                  "concat",
                                                  "concat_ws",
                                                  "format",
                                                  "glob",
                                                  "hex",
                                                  "ifnull",
                                                  "iif",
                                                  "instr",
                                                  "last_insert_rowid",
                                                  "length",
                                                  "like",
                                                  "likelihood",
                                                  "likely",
                                                  "lower",
                                                  "ltrim",
                                                  "max",
                                                  "min",
                                                  "nullif",
                                                  "octet_length",
                                                  "printf",
                                                  "quote",
                                                  "random",
                                                  "randomblob",
                                                  "replace",
                                                  "round",
                                                  "rtrim",
                                                  "sign",
                                                  "soundex",
                                                  "sqlite_version",
                                                  "substr",
                                                  "substring",
                                                  "total_changes",
                                                  "trim",
                                                  "typeof",
                                                  "unhex",
                                                  "unicode",
                                                  "unlikely",
                                                  "upper",
                                                  "zeroblob",
                                                  "date",
                                                  "time",
                                                  "datetime",
                                                  "julianday",
                                                  "strftime",
                                                  "unixepoch",
                                                  "timediff",
                                                  "current_date",
                                                  "current_time",
                                                  "current_timestamp",
                                                  "avg",
                                                  "count",
                                                  "group_concat",
                                                  "string_agg",
                                                  "sum",
                                                  "total",
                                                  "row_number",
                                                  "rank",
                                                  "dense_rank",
                                                  "percent_rank",
                                                  "cume_dist",
                                                  "ntile",
                                                  "lag",
                                                  "lead",
                                                  "first_value",
                                                  "last_value",
                                                  "nth_value",
                                                  "json",
                                                  "jsonb",
                                                  "json_array",
                                                  "json_array_length",
                                                  "json_extract",
                                                  "json_insert",
                                                  "json_object",
                                                  "json_patch",
                                                  "json_remove",
                                                  "json_replace",
                                                  "json_set",
                                                  "json_type",
                                                  "json_valid",
                                                  "json_quote",
                                                  "json_group_array",
                                                  "json_group_object",
                                                  "acos",
                                                  "acosh",
                                                  "asin",
                                                  "asinh",
                                                  "atan",
                                                  "atan2",
                                                  "atanh",
                                                  "ceil",
                                                  "ceiling",
                                                  "cos",
                                                  "cosh",
                                                  "degrees",
                                                  "exp",
                                                  "floor",
                                                  "ln",
                                                  "log",
                                                  "log10",
                                                  "log2",
                                                  "mod",
                                                  "pi",
                                                  "pow",
                                                  "power",
                                                  "radians",
                                                  "sin",
                                                  "sinh",
                                                  "sqrt",
                                                  "tan",
                                                  "tanh",
                                                  "trunc",
                                                  "sqlite_rename_table",
                                                  "sqlite_rename_test",
                                                  "sqlite_rename_column",
                                                  "sqlite_rename_quotefix",
                                                  "sqlite_drop_column"};

// PRAGMAs that only describe the schema or report a setting; those in kReadOnlyPragmas only
// without an argument (reading, not setting). Every other PRAGMA is refused: journal, keys,
// temp store, writable_schema, mmap, foreign keys, integrity checks that read every row, ...
constexpr std::string_view kMetadataPragmas[] = {
    "table_info",       "table_xinfo",    "index_list",    "index_info", "index_xinfo",
    "foreign_key_list", "collation_list", "function_list", "pragma_list"};
constexpr std::string_view kReadOnlyPragmas[] = {
    "foreign_keys", "user_version", "application_id", "schema_version", "encoding",
    "page_size",    "journal_mode", "synchronous",    "temp_store",     "data_version"};

bool listed(std::span<const std::string_view> list, std::string_view name) {
  return std::any_of(list.begin(), list.end(),
                     [&](std::string_view n) { return iequals(n, name); });
}

enum class SystemTable { kNone, kSchema, kMaintained, kEngine };
SystemTable system_table(std::string_view t) {
  if (iequals(t, "sqlite_master") || iequals(t, "sqlite_schema") ||
      iequals(t, "sqlite_temp_master") || iequals(t, "sqlite_temp_schema")) {
    return SystemTable::kSchema;
  }
  if (istarts_with(t, "sqlite_")) return SystemTable::kMaintained;  // stat*, sequence
  if (istarts_with(t, "dbvault_")) return SystemTable::kEngine;
  return SystemTable::kNone;
}

// Eponymous virtual tables that read only their arguments (pragma_* ones also report their
// PRAGMA, which is checked as such) — when no table or view has the name.
bool table_valued_function(std::string_view t) {
  return iequals(t, "json_each") || iequals(t, "json_tree") || istarts_with(t, "pragma_");
}

Error refused(std::string what) {
  return make_error(sqlstate::kInsufficientPrivilege, std::move(what));
}

std::string str(const char* s) { return s != nullptr ? s : ""; }

// What one authorizer call means: accesses (appended to `facts`) or a refusal.
std::optional<Error> map_action(int action, const char* a1, const char* a2, const char* db,
                                const char* ctx, StatementFacts& f) {
  // No schema: SQLite's count(*) shortcut names the FROM item, which may be a CTE or a
  // subquery; compile() finds out which table, if any, it is.
  const std::string schema = db != nullptr ? db : "";
  const std::string context = str(ctx);
  auto add = [&](Command c, const char* table, const char* column) {
    f.add({c, schema, str(table), str(column), context});
  };
  auto add_all_columns = [&](Command c, const char* table) {
    add(c, table, nullptr);
    f.expand.push_back({c, schema, str(table), "", context});
  };
  // SQLite's own tables and the engine's: true when handled (allowed, or refused into `err`).
  std::optional<Error> err;
  auto system_access = [&](const char* table, const char* column, bool read) {
    switch (system_table(str(table))) {
      case SystemTable::kNone:
        return false;
      case SystemTable::kSchema:  // DDL text is metadata; SQLite itself refuses user writes
        return true;
      case SystemTable::kEngine:
        // The session's mask views (storage/masking.h), read by its shadow views: no user's
        // statement can name them (compile() refuses the reserved prefix).
        if (read && schema == "temp" && istarts_with(str(table), "dbvault_mask_")) return false;
        err = refused("the engine's own table " + str(table) + " is not accessible");
        return true;
      case SystemTable::kMaintained: {
        const std::string c = str(column);
        if (read && !iequals(c, "tbl") && !iequals(c, "idx") && !iequals(c, "name")) {
          err = refused(str(table) +
                        " is maintained by the engine (sqlite_stat4 holds copies "
                        "of indexed values); no statement may read it");
        }
        f.system_tables = true;  // allowed only for the DDL that maintains it
        return true;
      }
    }
    return false;
  };

  switch (action) {
    case SQLITE_READ:
      if (system_access(a1, a2, true)) return err;
      if (iequals(str(a1), "dbstat")) {  // SQLite's page statistics of every table
        return refused(
            "dbstat is not accessible: it reports the rows per page and the payload "
            "sizes of every table, realm tables and the engine's own included");
      }
      add(Command::kSelect, a1, nullptr);
      if (a2 != nullptr && *a2 != '\0') add(Command::kSelect, a1, a2);
      // A table may be named like a table-valued function: compile() keeps the access
      // unless no table or view of that name exists (then it is the function).
      if (table_valued_function(str(a1)))
        f.maybe_functions.push_back({Command::kSelect, schema, str(a1), "", ""});
      return std::nullopt;
    case SQLITE_UPDATE:
      if (system_access(a1, a2, false)) return err;
      add(Command::kUpdate, a1, nullptr);
      if (a2 != nullptr && *a2 != '\0') add(Command::kUpdate, a1, a2);
      return std::nullopt;
    case SQLITE_INSERT:
      if (system_access(a1, nullptr, false)) return err;
      add_all_columns(Command::kInsert, a1);
      return std::nullopt;
    case SQLITE_DELETE:  // removes every column's value: a column realm protects it too
      if (system_access(a1, nullptr, false)) return err;
      add_all_columns(Command::kDelete, a1);
      return std::nullopt;
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_TEMP_VIEW: {
      if (system_table(str(a1)) == SystemTable::kEngine) return refused("reserved name " + str(a1));
      // sqlite_* names are reserved to SQLite: ANALYZE creating sqlite_stat1.
      if (system_table(str(a1)) != SystemTable::kNone) return std::nullopt;
      f.ddl = true;
      add(Command::kCreate, a1, nullptr);
      const bool table = action == SQLITE_CREATE_TABLE || action == SQLITE_CREATE_TEMP_TABLE;
      f.created.push_back(
          {table ? CreatedObject::Kind::kTable : CreatedObject::Kind::kView, schema, str(a1), ""});
      return std::nullopt;
    }
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_TEMP_TRIGGER:
      if (system_table(str(a2)) != SystemTable::kNone) {
        return refused("no trigger may be created on " + str(a2));
      }
      f.ddl = true;
      add(Command::kAlter, a2, nullptr);
      f.created.push_back({CreatedObject::Kind::kTrigger, schema, str(a1), str(a2)});
      return std::nullopt;
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TEMP_INDEX:  // an index holds a copy of the columns it covers
      if (system_table(str(a2)) == SystemTable::kEngine)
        return refused("reserved table " + str(a2));
      f.ddl = true;
      add(Command::kAlter, a2, nullptr);
      add_all_columns(Command::kSelect, a2);
      return std::nullopt;
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_VIEW:
    case SQLITE_DROP_TEMP_VIEW:
      if (system_table(str(a1)) != SystemTable::kNone) return refused("cannot drop " + str(a1));
      f.ddl = true;
      add(Command::kDrop, a1, nullptr);
      return std::nullopt;
    case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_TEMP_TRIGGER:
      if (system_table(str(a2)) == SystemTable::kEngine)
        return refused("reserved table " + str(a2));
      f.ddl = true;
      add(Command::kAlter, a2, nullptr);
      return std::nullopt;
    case SQLITE_ALTER_TABLE: {  // a1: schema, a2: table
      if (system_table(str(a2)) != SystemTable::kNone) return refused("cannot alter " + str(a2));
      f.ddl = true;
      const std::string s = a1 != nullptr && *a1 != '\0' ? a1 : "main";
      f.add({Command::kAlter, s, str(a2), "", context});
      f.expand.push_back({Command::kAlter, s, str(a2), "", context});
      return std::nullopt;
    }
    case SQLITE_ANALYZE:  // fills sqlite_stat1/stat4 from the table's indexed columns
      f.ddl = true;
      add_all_columns(Command::kSelect, a1);
      return std::nullopt;
    case SQLITE_REINDEX:
      f.ddl = true;
      add(Command::kAlter, a1, nullptr);
      return std::nullopt;
    case SQLITE_TRANSACTION:
      f.transaction = str(a1);
      return std::nullopt;
    case SQLITE_SAVEPOINT:
      f.savepoint_op = str(a1);
      f.savepoint_name = str(a2);
      return std::nullopt;
    case SQLITE_SELECT:
    case SQLITE_RECURSIVE:
      return std::nullopt;
    case SQLITE_PRAGMA: {
      const std::string name = str(a1);
      if (listed(kMetadataPragmas, name) || (listed(kReadOnlyPragmas, name) && a2 == nullptr)) {
        return std::nullopt;
      }
      return refused("PRAGMA " + name + (a2 != nullptr ? " = ..." : "") +
                     " is not allowed: it would change the engine's settings or read every row");
    }
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
      return refused("ATTACH and DETACH are not allowed: a session reaches no other database file");
    case SQLITE_CREATE_VTABLE:
    case SQLITE_DROP_VTABLE:
      return refused("virtual tables are not allowed (module " + str(a2) + ")");
    default:  // SQLITE_COPY, SQLITE_FUNCTION (handled by the caller), codes of newer SQLites
      return refused("the engine refuses this operation (authorizer action " +
                     std::to_string(action) + ")");
  }
}

}  // namespace

bool builtin_function(std::string_view name) { return listed(kBuiltinFunctions, name); }

void StatementFacts::add(EngineAccess a) {
  if (seen.insert(a).second) accesses.push_back(std::move(a));
}

Authorizer::Authorizer(sqlite3* db, std::vector<std::string> functions)
    : db_(db), functions_(std::move(functions)), schema_cache_(db) {
  sqlite3_set_authorizer(db_, &Authorizer::callback, this);
}

Authorizer::~Authorizer() { sqlite3_set_authorizer(db_, nullptr, nullptr); }

Authorizer::Scope::Scope(Authorizer& a, Mode m, StatementFacts* facts)
    : a_(a), mode_(a.mode_), facts_(a.facts_) {
  a_.mode_ = m;
  a_.facts_ = facts;
  if (m == Mode::kVerify) a_.verify_refused_.reset();
}

Authorizer::Scope::~Scope() {
  a_.mode_ = mode_;
  a_.facts_ = facts_;
}

bool Authorizer::function_allowed(std::string_view name, const char* ctx) const {
  // The masking function, only inside a mask view (storage/masking.h): called elsewhere it
  // would be an oracle for HASH masks.
  if (iequals(name, "dbvault_mask")) return istarts_with(str(ctx), "dbvault_mask_");
  // The sealing function of encrypted columns, only in the engine's rewrite of a write
  // (storage/columns/write_rewrite.h) and outside any trigger or view body.
  if (iequals(name, "dbvault_seal")) return sealing_ && str(ctx).empty();
  if (listed(kBuiltinFunctions, name)) return true;
  return std::any_of(functions_.begin(), functions_.end(),
                     [&](const std::string& f) { return iequals(f, name); });
}

int Authorizer::callback(void* self, int action, const char* a1, const char* a2, const char* db,
                         const char* context) {
  auto& a = *static_cast<Authorizer*>(self);
  // Another file may answer to an attached name now (docs in schema_cache.h).
  if (action == SQLITE_ATTACH || action == SQLITE_DETACH) a.schema_cache_stale_ = true;
  switch (a.mode_) {
    case Mode::kInternal:
      return SQLITE_OK;
    case Mode::kCollect:
      return a.on_collect(action, a1, a2, db, context);
    case Mode::kVerify:
      return a.on_verify(action, a1, a2, db, context);
    case Mode::kIdle:
      break;
  }
  return SQLITE_DENY;  // SQLite compiles nothing outside our calls; if it does, fail closed
}

int Authorizer::on_collect(int action, const char* a1, const char* a2, const char* db,
                           const char* ctx) {
  StatementFacts& f = *facts_;
  ++f.callbacks;
  std::optional<Error> e;
  if (action == SQLITE_FUNCTION) {
    if (!function_allowed(str(a2), ctx)) e = refused("function " + str(a2) + "() is not allowed");
    if (!e && sealing_ && iequals(str(a2), "dbvault_seal")) ++seal_calls_;
  } else {
    e = map_action(action, a1, a2, db, ctx, f);
  }
  if (!e) return SQLITE_OK;
  if (!f.refusal) f.refusal = std::move(e);
  return SQLITE_DENY;
}

// While a checked statement runs: SQLite re-prepares it after a schema change (the authorizer
// sees its accesses again), VACUUM runs its own statements, ANALYZE reloads sqlite_stat1.
// Only what the checked set already holds passes, plus what touches no object.
int Authorizer::on_verify(int action, const char* a1, const char* a2, const char* db,
                          const char* ctx) {
  const StatementFacts& checked = *facts_;
  std::optional<Error> e;
  if (action == SQLITE_FUNCTION) {
    if (!function_allowed(str(a2), ctx)) e = refused("function " + str(a2) + "() is not allowed");
  } else if (checked.whole_database && action == SQLITE_ATTACH) {
    // VACUUM [INTO file]: its own ATTACH of the target ("" for a temporary file).
    if (!file_allowed_ || !file_allowed_(str(a1))) {
      e = refused("VACUUM INTO may not write " + str(a1));
    }
  } else if (checked.whole_database) {
    // VACUUM's own statements, copying what the checked set already read in full.
  } else if (action == SQLITE_READ && ctx == nullptr &&
             system_table(str(a1)) != SystemTable::kNone &&
             system_table(str(a1)) != SystemTable::kEngine) {
    // SQLite reading its own tables (ANALYZE reloading sqlite_stat1). A re-prepared statement
    // has the top-level accesses it was checked with (the text is the same), and those never
    // include these tables, so this is SQLite's own read.
  } else {
    StatementFacts now;
    e = map_action(action, a1, a2, db, ctx, now);
    if (!e && now.system_tables && !checked.system_tables) {
      e = refused("the re-prepared statement touches the engine's statistics");
    }
    for (const auto& acc : now.accesses) {
      if (e) break;
      if (!checked.seen.contains(acc)) {
        e = refused("the schema changed since the statement was prepared and it would now " +
                    std::string(rules::command_name(acc.command)) + " " + acc.schema + "." +
                    acc.table + (acc.column.empty() ? "" : "." + acc.column) +
                    (acc.context.empty() ? "" : " (in " + acc.context + ")") +
                    ", which was not checked; prepare it again");
      }
    }
  }
  if (!e) return SQLITE_OK;
  if (!verify_refused_) verify_refused_ = std::move(e);
  return SQLITE_DENY;
}

}  // namespace dbvault::storage
