#include "storage/tablespace_catalog.h"

#include <algorithm>
#include <array>
#include <system_error>

#include "common/sqlstate.h"
#include "crypto/random.h"
#include "storage/backup_io.h"
#include "storage/catalog_sql.h"
#include "storage/compile.h"
#include "storage/sql_words.h"

namespace dbvault::storage {
namespace {

constexpr std::size_t kMaxName = 48;

constexpr std::string_view kCatalog = "tablespace catalog";

template <typename RowFn>
Status run(sqlite3* db, const char* sql, std::initializer_list<std::string_view> params,
           RowFn&& row) {
  return catalog_sql::run(db, kCatalog, sql, params, std::forward<RowFn>(row));
}

Status run(sqlite3* db, const char* sql, std::initializer_list<std::string_view> params = {}) {
  return catalog_sql::run(db, kCatalog, sql, params);
}

using catalog_sql::text;

// All of `fn` or nothing: a savepoint around it.
template <typename Fn>
Status atomically(sqlite3* db, Fn&& fn) {
  DBV_RETURN_IF_ERROR(run(db, "SAVEPOINT dbvault_tablespace_catalog"));
  Status s = fn();
  if (!s) {
    (void)run(db, "ROLLBACK TO dbvault_tablespace_catalog");
    (void)run(db, "RELEASE dbvault_tablespace_catalog");
    return s;
  }
  return run(db, "RELEASE dbvault_tablespace_catalog");
}

}  // namespace

Result<std::string> TablespaceCatalog::normalize_name(std::string_view name) {
  const auto bad = [&](std::string_view why) {
    return make_error(sqlstate::kInvalidParameterValue, "invalid tablespace name \"" +
                                                            std::string(name.substr(0, kMaxName)) +
                                                            "\": " + std::string(why));
  };
  if (name.empty() || name.size() > kMaxName) return bad("it must have 1 to 48 characters");
  for (char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return bad("only ASCII letters, digits and '_' are allowed");
  }
  if (name[0] >= '0' && name[0] <= '9') return bad("it must not start with a digit");
  std::string folded = fold_ascii(name);
  // The engine's own schemas, and those the server routes elsewhere: vault.* to the vault
  // views, pg_* and information_schema to the catalog emulation, public to main.
  if (folded == "main" || folded == "temp" || folded == "default" || folded.starts_with("sqlite") ||
      folded.starts_with("dbvault") || folded == "vault" || folded == "public" ||
      folded == "information_schema" || folded.starts_with("pg_")) {
    return bad("the name is reserved");
  }
  return folded;
}

Result<std::string> TablespaceCatalog::new_file_id() {
  std::array<std::uint8_t, 16> raw{};
  DBV_RETURN_IF_ERROR(crypto::random_bytes(raw));
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string id;
  for (std::uint8_t b : raw) {
    id += kDigits[b >> 4];
    id += kDigits[b & 0xf];
  }
  return id;
}

std::filesystem::path TablespaceCatalog::file_of(const std::filesystem::path& dir,
                                                 const TablespaceInfo& info) {
  return dir / ("ts_" + info.file_id + ".db");
}

namespace {

constexpr std::array<const char*, 8> kSideFiles = {"",     "-wal",     "-shm", "-tde",
                                                   "-tde.new", "-tdv", "-tdv.new", "-journal"};

// What new_file_id() makes: 32 lowercase hexadecimal digits.
bool is_file_id(std::string_view id) {
  return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::vector<std::filesystem::path> files_beside(const std::filesystem::path& file) {
  std::vector<std::filesystem::path> out;
  for (const char* suffix : kSideFiles) out.emplace_back(file.string() + suffix);
  return out;
}

// The files of a tablespace an older version named after it (ts_<name>.db) take its file id's
// names, each on its own; one already renamed is skipped. 58030 if a file exists under both.
Status rename_legacy_files(const std::filesystem::path& dir, const TablespaceInfo& info) {
  const auto from = files_beside(dir / ("ts_" + info.name + ".db"));
  const auto to = TablespaceCatalog::files_of(dir, info);
  for (std::size_t i = 0; i < from.size(); ++i) {
    std::error_code ec;
    if (!std::filesystem::exists(from[i], ec)) continue;
    if (std::filesystem::exists(to[i], ec)) {
      return make_error(sqlstate::kIoError, "tablespace catalog: both " + from[i].string() +
                                                " and " + to[i].string() +
                                                " exist (remove the stale one)");
    }
    std::filesystem::rename(from[i], to[i], ec);
    if (ec) {
      return make_error(sqlstate::kIoError, "tablespace catalog: cannot rename " +
                                                from[i].string() + ": " + ec.message());
    }
  }
  return backup::sync_directory(dir);
}

}  // namespace

std::vector<std::filesystem::path> TablespaceCatalog::files_of(const std::filesystem::path& dir,
                                                               const TablespaceInfo& info) {
  return files_beside(file_of(dir, info));
}

crypto::KeyScope TablespaceCatalog::scope_of(std::string_view name) {
  return crypto::KeyScope::tablespace(std::string(name));
}

Status TablespaceCatalog::load(sqlite3* db, const std::filesystem::path& dir) {
  DBV_RETURN_IF_ERROR(
      run(db,
          "CREATE TABLE IF NOT EXISTS main.dbvault_tablespaces (name TEXT PRIMARY KEY, "
          "algorithm TEXT NOT NULL, file TEXT, moving INTEGER NOT NULL DEFAULT 0)"));
  bool has_file = false;  // a catalog of an older version lacks the file columns
  DBV_RETURN_IF_ERROR(
      run(db, "SELECT 1 FROM pragma_table_info('dbvault_tablespaces') WHERE name = 'file'", {},
          [&](sqlite3_stmt*) { has_file = true; }));
  if (!has_file) {
    Status added = atomically(db, [&]() -> Status {
      DBV_RETURN_IF_ERROR(run(db, "ALTER TABLE main.dbvault_tablespaces ADD COLUMN file TEXT"));
      return run(db,
                 "ALTER TABLE main.dbvault_tablespaces ADD COLUMN moving INTEGER NOT NULL "
                 "DEFAULT 0");
    });
    if (!added) return added;
  }
  DBV_RETURN_IF_ERROR(
      run(db,
          "CREATE TABLE IF NOT EXISTS main.dbvault_tablespace_tables (tablespace TEXT NOT NULL, "
          "name TEXT NOT NULL, sql TEXT NOT NULL, PRIMARY KEY (tablespace, name))"));
  std::map<std::string, TablespaceInfo, std::less<>> loaded;
  std::vector<std::string> moving;
  Status bad = ok_status();
  DBV_RETURN_IF_ERROR(run(
      db, "SELECT name, algorithm, file, moving FROM main.dbvault_tablespaces", {},
      [&](sqlite3_stmt* st) {
        auto algorithm = crypto::parse_aead_algorithm(text(st, 1));
        if (!algorithm) {
          bad = make_error(sqlstate::kDataCorrupted,
                           "tablespace catalog: unknown algorithm of tablespace " + text(st, 0));
          return;
        }
        const std::string file = text(st, 2);
        if (!file.empty() && !is_file_id(file)) {  // a path of its own, e.g. "../x"
          bad = make_error(sqlstate::kDataCorrupted,
                           "tablespace catalog: the file id of tablespace " + text(st, 0) +
                               " is not 32 hexadecimal digits");
          return;
        }
        loaded[text(st, 0)] = TablespaceInfo{text(st, 0), *algorithm, {}, file};
        if (sqlite3_column_int(st, 3) != 0 || text(st, 2).empty()) moving.push_back(text(st, 0));
      }));
  DBV_RETURN_IF_ERROR(bad);
  for (const auto& name : moving) {
    TablespaceInfo& info = loaded[name];
    if (info.file_id.empty()) {  // recorded by an older version: its id first, then the files
      auto id = new_file_id();
      if (!id) return std::move(id).error();
      DBV_RETURN_IF_ERROR(run(
          db, "UPDATE main.dbvault_tablespaces SET file = ?, moving = 1 WHERE name = ?",
          {*id, name}));
      info.file_id = *id;
    }
    DBV_RETURN_IF_ERROR(rename_legacy_files(dir, info));
    DBV_RETURN_IF_ERROR(
        run(db, "UPDATE main.dbvault_tablespaces SET moving = 0 WHERE name = ?", {name}));
  }
  DBV_RETURN_IF_ERROR(run(db,
                          "SELECT tablespace, name, sql FROM main.dbvault_tablespace_tables "
                          "ORDER BY tablespace, name",
                          {}, [&](sqlite3_stmt* st) {
                            auto it = loaded.find(text(st, 0));
                            if (it != loaded.end()) {
                              it->second.tables.push_back({text(st, 1), text(st, 2)});
                            }
                          }));
  std::lock_guard lock(mu_);
  spaces_ = std::move(loaded);
  ++epoch_;
  return ok_status();
}

std::optional<TablespaceInfo> TablespaceCatalog::find(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = spaces_.find(fold_ascii(name));
  if (it == spaces_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::filesystem::path> TablespaceCatalog::file(const std::filesystem::path& dir,
                                                              std::string_view name) const {
  auto info = find(name);
  if (!info) return std::nullopt;
  return file_of(dir, *info);
}

std::vector<TablespaceInfo> TablespaceCatalog::list() const {
  std::lock_guard lock(mu_);
  std::vector<TablespaceInfo> out;
  for (const auto& [name, info] : spaces_) out.push_back(info);
  return out;
}

std::optional<std::string> TablespaceCatalog::tablespace_of_table(std::string_view name) const {
  const std::string folded = fold_ascii(name);
  std::lock_guard lock(mu_);
  for (const auto& [ts, info] : spaces_) {
    for (const auto& t : info.tables) {
      if (t.name == folded) return ts;
    }
  }
  return std::nullopt;
}

Status TablespaceCatalog::add(sqlite3* db, const TablespaceInfo& info) {
  if (find(info.name)) {
    return make_error(sqlstate::kDuplicateObject,
                      "tablespace \"" + info.name + "\" already exists");
  }
  DBV_RETURN_IF_ERROR(
      run(db, "INSERT INTO main.dbvault_tablespaces (name, algorithm, file) VALUES (?, ?, ?)",
          {info.name, crypto::algorithm_name(info.algorithm), info.file_id}));
  std::lock_guard lock(mu_);
  spaces_[info.name] = TablespaceInfo{info.name, info.algorithm, {}, info.file_id};
  ++epoch_;
  return ok_status();
}

Status TablespaceCatalog::add_table(sqlite3* db, std::string_view tablespace,
                                    const TablespaceTable& table) {
  const std::string ts = fold_ascii(tablespace);
  if (!find(ts)) {
    return make_error(sqlstate::kUndefinedObject, "tablespace \"" + ts + "\" does not exist");
  }
  if (tablespace_of_table(table.name)) {
    return make_error(sqlstate::kDuplicateObject,
                      "a table named \"" + table.name + "\" already exists in a tablespace");
  }
  DBV_RETURN_IF_ERROR(run(db,
                          "INSERT INTO main.dbvault_tablespace_tables (tablespace, name, sql) "
                          "VALUES (?, ?, ?)",
                          {ts, table.name, table.sql}));
  std::lock_guard lock(mu_);
  spaces_[ts].tables.push_back(table);
  ++epoch_;
  return ok_status();
}

Status TablespaceCatalog::remove_table(sqlite3* db, std::string_view tablespace,
                                       std::string_view name) {
  const std::string ts = fold_ascii(tablespace);
  const std::string table = fold_ascii(name);
  DBV_RETURN_IF_ERROR(run(
      db, "DELETE FROM main.dbvault_tablespace_tables WHERE tablespace = ? AND name = ?",
      {ts, table}));
  std::lock_guard lock(mu_);
  auto it = spaces_.find(ts);
  if (it == spaces_.end()) return ok_status();
  std::erase_if(it->second.tables, [&](const TablespaceTable& t) { return t.name == table; });
  ++epoch_;
  return ok_status();
}

Status TablespaceCatalog::remove(sqlite3* db, std::string_view name) {
  const std::string ts = fold_ascii(name);
  if (!find(ts)) {
    return make_error(sqlstate::kUndefinedObject, "tablespace \"" + ts + "\" does not exist");
  }
  Status removed = atomically(db, [&]() -> Status {
    DBV_RETURN_IF_ERROR(
        run(db, "DELETE FROM main.dbvault_tablespace_tables WHERE tablespace = ?", {ts}));
    return run(db, "DELETE FROM main.dbvault_tablespaces WHERE name = ?", {ts});
  });
  if (!removed) return removed;
  std::lock_guard lock(mu_);
  spaces_.erase(ts);
  ++epoch_;
  return ok_status();
}

Status TablespaceCatalog::set_tables(sqlite3* db, std::string_view tablespace,
                                     std::vector<TablespaceTable> tables) {
  const std::string ts = fold_ascii(tablespace);
  Status replaced = atomically(db, [&]() -> Status {
    DBV_RETURN_IF_ERROR(
        run(db, "DELETE FROM main.dbvault_tablespace_tables WHERE tablespace = ?", {ts}));
    for (const auto& t : tables) {
      DBV_RETURN_IF_ERROR(run(db,
                              "INSERT INTO main.dbvault_tablespace_tables (tablespace, name, sql) "
                              "VALUES (?, ?, ?)",
                              {ts, t.name, t.sql}));
    }
    return ok_status();
  });
  if (!replaced) return replaced;
  std::lock_guard lock(mu_);
  auto it = spaces_.find(ts);
  if (it != spaces_.end()) it->second.tables = std::move(tables);
  ++epoch_;
  return ok_status();
}

std::vector<ast::ObjectRef> TablespaceCatalog::objects(const crypto::KeyScope& scope) const {
  std::vector<ast::ObjectRef> out;
  if (scope.kind() != crypto::ScopeKind::kTablespace) return out;
  std::lock_guard lock(mu_);
  auto it = spaces_.find(scope.name());
  if (it == spaces_.end()) return out;
  for (const auto& t : it->second.tables) out.push_back({{it->first, t.name}, ""});
  return out;
}

std::vector<crypto::KeyScope> TablespaceCatalog::scopes() const {
  std::lock_guard lock(mu_);
  std::vector<crypto::KeyScope> out;
  for (const auto& [name, info] : spaces_) out.push_back(scope_of(name));
  return out;
}

}  // namespace dbvault::storage
