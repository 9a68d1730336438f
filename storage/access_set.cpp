#include "storage/access_set.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include "common/sqlstate.h"
#include "vault/policy_snapshot.h"

namespace dbvault::storage {
namespace {

// What the authorizer saw, before resolving names.
struct Collected {
  std::vector<std::pair<ast::Command, ast::ObjectRef>> refs;
  std::set<std::pair<int, std::string>> seen;  // (command, "schema.table.column")

  void add(ast::Command command, const char* schema, const char* table, const char* column) {
    if (table == nullptr || std::string_view(table).starts_with("sqlite_")) return;
    ast::ObjectRef ref{{schema != nullptr ? schema : "main", table}, column ? column : ""};
    std::string key = ref.table.schema + "." + ref.table.name;
    if (!ref.column.empty()) key += "." + ref.column;
    if (!seen.emplace(static_cast<int>(command), std::move(key)).second) return;
    refs.emplace_back(command, std::move(ref));
  }
  // A column access also counts as an access to its table (listed first).
  void add_column(ast::Command command, const char* schema, const char* table, const char* column) {
    add(command, schema, table, nullptr);
    if (column != nullptr && *column != '\0') add(command, schema, table, column);
  }
};

int authorize(void* ctx, int action, const char* a1, const char* a2, const char* schema,
              const char* /*trigger*/) {
  auto& c = *static_cast<Collected*>(ctx);
  switch (action) {
    case SQLITE_READ:
      c.add_column(ast::Command::kSelect, schema, a1, a2);
      break;
    case SQLITE_UPDATE:
      c.add_column(ast::Command::kUpdate, schema, a1, a2);
      break;
    case SQLITE_INSERT:
      c.add(ast::Command::kInsert, schema, a1, nullptr);
      break;
    case SQLITE_DELETE:
      c.add(ast::Command::kDelete, schema, a1, nullptr);
      break;
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_TEMP_TABLE:
      c.add(ast::Command::kDrop, schema, a1, nullptr);
      break;
    case SQLITE_ALTER_TABLE:
      c.add(ast::Command::kAlter, a1, a2, nullptr);
      break;
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_TEMP_TABLE:
      c.add(ast::Command::kCreate, schema, a1, nullptr);
      break;
    default:
      break;
  }
  return SQLITE_OK;
}

bool only_space_or_semicolons(std::string_view rest) {
  return std::all_of(rest.begin(), rest.end(), [](char ch) {
    return std::isspace(static_cast<unsigned char>(ch)) != 0 || ch == ';';
  });
}

Error engine_error(sqlite3* db) {
  const std::string msg = sqlite3_errmsg(db);
  SqlState code{"42000"};
  if (msg.starts_with("no such table")) {
    code = sqlstate::kUndefinedTable;
  } else if (msg.starts_with("no such column")) {
    code = sqlstate::kUndefinedColumn;
  } else if (msg.find("syntax error") != std::string::npos || msg.starts_with("incomplete input")) {
    code = sqlstate::kSyntaxError;
  }
  return make_error(code, msg);
}

}  // namespace

Result<std::unique_ptr<SqliteAccessResolver>> SqliteAccessResolver::open(
    const std::filesystem::path& database) {
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Error e =
        make_error(sqlstate::kIoError, "cannot open the engine database " + database.string() +
                                           ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close_v2(db);
    return e;
  }
  return std::unique_ptr<SqliteAccessResolver>(new SqliteAccessResolver(db));
}

SqliteAccessResolver::~SqliteAccessResolver() { sqlite3_close_v2(db_); }

Result<vault::StatementAccesses> SqliteAccessResolver::accesses(const vault::PolicySnapshot& snap,
                                                                std::string_view sql) const {
  std::lock_guard lock(mu_);
  Collected c;
  sqlite3_set_authorizer(db_, authorize, &c);
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), 0, &stmt, &tail);
  sqlite3_set_authorizer(db_, nullptr, nullptr);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> owned(stmt, sqlite3_finalize);
  if (rc != SQLITE_OK) return engine_error(db_);
  if (stmt == nullptr) return make_error(sqlstate::kSyntaxError, "no statement to explain");
  const char* end = sql.data() + sql.size();
  if (tail != nullptr && tail < end && !only_space_or_semicolons(std::string_view(tail, end))) {
    return make_error(sqlstate::kSyntaxError, "EXPLAIN VAULT explains one statement at a time");
  }
  vault::StatementAccesses out;
  for (auto& [command, ref] : c.refs) {
    const auto id = snap.resolve_access_object(ref);
    std::string name = ref.table.schema + "." + ref.table.name;
    if (!ref.column.empty()) name += "." + ref.column;
    out.accesses.push_back({command, id.value_or(rules::kNoId)});
    out.names.push_back(std::move(name));
  }
  return out;
}

}  // namespace dbvault::storage
