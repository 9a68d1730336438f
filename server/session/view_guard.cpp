#include "server/session/view_guard.h"

#include <sqlite3.h>

#include <utility>

#include "common/sqlstate.h"
#include "storage/authorizer.h"

namespace dbvault::server::session {
namespace {

std::string action_name(int action, const char* a1, const char* a2) {
  const std::string first = a1 != nullptr ? a1 : "";
  switch (action) {
    case SQLITE_ATTACH:
      return "ATTACH";
    case SQLITE_DETACH:
      return "DETACH";
    case SQLITE_PRAGMA:
      return "PRAGMA " + first;
    case SQLITE_FUNCTION:
      return "the function " + std::string(a2 != nullptr ? a2 : "");
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
      return "a write";
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
      return "transaction control";
    default:
      return "this statement";
  }
}

}  // namespace

Status ViewGuard::install(sqlite3* db) {
  int ignored = 0;
  const std::pair<int, int> settings[] = {{SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0},
                                          {SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0},
                                          {SQLITE_DBCONFIG_DEFENSIVE, 1},
                                          {SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0}};
  for (const auto& [op, value] : settings) {
    if (sqlite3_db_config(db, op, value, &ignored) != SQLITE_OK) {
      return make_error(sqlstate::kSystemError, "cannot configure the vault views");
    }
  }
  if (sqlite3_set_authorizer(db, &ViewGuard::callback, this) != SQLITE_OK) {
    return make_error(sqlstate::kSystemError, "cannot guard the vault views");
  }
  return ok_status();
}

std::optional<Error> ViewGuard::take_refusal() { return std::exchange(refusal_, std::nullopt); }

int ViewGuard::callback(void* self, int action, const char* a1, const char* a2, const char*,
                        const char*) {
  auto& guard = *static_cast<ViewGuard*>(self);
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    case SQLITE_FUNCTION:
      if (a2 != nullptr && storage::builtin_function(a2)) return SQLITE_OK;
      break;
    default:
      break;
  }
  if (!guard.refusal_) {
    guard.refusal_ = make_error(sqlstate::kInsufficientPrivilege,
                                "permission denied: the vault views only read (SELECT with "
                                "SQLite's built-in functions); " +
                                    action_name(action, a1, a2) + " is refused");
  }
  return SQLITE_DENY;
}

}  // namespace dbvault::server::session
