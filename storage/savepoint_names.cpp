#include "storage/savepoint_names.h"

#include <algorithm>

#include "storage/busy_wait.h"
#include "storage/compile.h"
#include "storage/sql_words.h"

namespace dbvault::storage {
namespace {

// The last open savepoint named `name` (SQLite compares them case-insensitively), or end.
std::vector<std::string>::iterator find_last(std::vector<std::string>& names,
                                             const std::string& name) {
  const std::string folded = fold_ascii(name);
  auto it = std::find_if(names.rbegin(), names.rend(),
                         [&](const std::string& n) { return fold_ascii(n) == folded; });
  return it == names.rend() ? names.end() : std::next(it).base();
}

std::string quoted(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

}  // namespace

void SavepointNames::after(const StatementFacts& facts, bool completed, sqlite3* db) {
  if (sqlite3_get_autocommit(db) != 0) {
    names_.clear();
    return;
  }
  if (!completed) return;
  if (facts.transaction == "COMMIT" || facts.transaction == "ROLLBACK") names_.clear();
  if (facts.savepoint_op == "BEGIN") {
    names_.push_back(facts.savepoint_name);
  } else if (facts.savepoint_op == "RELEASE") {
    auto it = find_last(names_, facts.savepoint_name);
    names_.erase(it, names_.end());
  } else if (facts.savepoint_op == "ROLLBACK") {
    auto it = find_last(names_, facts.savepoint_name);
    if (it != names_.end()) names_.erase(std::next(it), names_.end());
  }
}

Status SavepointNames::restart_transaction(sqlite3* db, Authorizer& auth) const {
  auto scope = auth.internal();
  std::string sql = "ROLLBACK; BEGIN DEFERRED;";
  for (const auto& n : names_) sql += " SAVEPOINT " + quoted(n) + ";";
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  notify_write_ended();  // sessions waiting for the write lock retry now
  if (rc != SQLITE_OK) return engine_error(db, sqlite3_extended_errcode(db));
  return ok_status();
}

}  // namespace dbvault::storage
