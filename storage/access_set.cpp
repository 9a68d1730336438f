#include "storage/access_set.h"

#include <sqlite3.h>

#include "common/sqlstate.h"
#include "storage/authorizer.h"
#include "storage/compile.h"
#include "storage/vfs/encrypted_db.h"

namespace dbvault::storage {

Result<std::unique_ptr<SqliteAccessResolver>> SqliteAccessResolver::open(
    const std::filesystem::path& database, std::shared_ptr<vfs::TdeVfs> vfs) {
  sqlite3* db = nullptr;
  if (vfs) {
    vfs::EncryptedOpenOptions eo;
    eo.read_only = true;
    auto opened = vfs::open_encrypted(database, *vfs, eo);
    if (!opened) return std::move(opened).error();
    db = opened->release();
  } else if (const int rc = sqlite3_open_v2(database.c_str(), &db,
                                            SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
             rc != SQLITE_OK) {
    Error e =
        make_error(sqlstate::kIoError, "cannot open the engine database " + database.string() +
                                           ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close_v2(db);
    return e;
  }
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  return std::unique_ptr<SqliteAccessResolver>(new SqliteAccessResolver(db, std::move(vfs)));
}

SqliteAccessResolver::SqliteAccessResolver(sqlite3* db, std::shared_ptr<vfs::TdeVfs> vfs)
    : vfs_(std::move(vfs)),
      db_(db),
      auth_(std::make_unique<Authorizer>(db, std::vector<std::string>{})) {}

SqliteAccessResolver::~SqliteAccessResolver() {
  auth_.reset();
  sqlite3_close_v2(db_);
}

Result<vault::StatementAccesses> SqliteAccessResolver::accesses(const vault::PolicySnapshot& snap,
                                                                std::string_view sql) const {
  std::lock_guard lock(mu_);
  auto c = compile(db_, *auth_, sql);
  if (!c) return std::move(c).error();
  return resolve(snap, c->facts);
}

}  // namespace dbvault::storage
