// A session for pgcompat tests: an in-memory SQLite engine prepared as the server prepares
// it, its SqliteCatalog and the session's Settings.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <variant>

#include "server/pgcompat/pgcompat.h"

namespace dbvault::test {

class PgSession {
 public:
  PgSession();
  sqlite3* db() const { return db_.get(); }
  server::pgcompat::Settings& settings() { return settings_; }
  const server::pgcompat::CatalogSource& catalog() const { return catalog_; }

  // Runs SQL directly on the engine; fails the test on error.
  void exec(const std::string& sql);
  Result<server::pgcompat::Translation> translate(std::string_view sql);
  // The statements a translation runs, joined by "; ", or "ERROR <sqlstate>".
  std::string rewritten(std::string_view sql);
  std::string error_code(std::string_view sql);
  // translate() and run what it says on the engine; the first column of the first row of a
  // query's answer (an engine query or a ResultSet), or "ERROR <sqlstate>".
  std::string run(std::string_view sql);

 private:
  struct Close {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  std::unique_ptr<sqlite3, Close> db_;
  server::pgcompat::Settings settings_;
  server::pgcompat::SqliteCatalog catalog_;
};

}  // namespace dbvault::test
