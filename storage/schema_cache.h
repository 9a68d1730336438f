// SchemaCache: the answers of the engine's own schema queries (PRAGMA table_xinfo, index_list,
// sqlite_schema lookups), remembered per connection while the schema they describe is
// unchanged. compile() asks them for every statement; a cached answer costs one step of a
// prepared `PRAGMA s.schema_version` instead of compiling and running the query again.
//
// Why an answer cannot be stale: it is stored under the schema cookie read *before* the query
// ran, and SQLite's cookie only grows (every committed schema change increments it; a session
// cannot set it: the authorizer refuses PRAGMA schema_version = n). A query sees the schema of
// that cookie or a newer one, so an answer is only ever found again while the cookie still
// has the value it was stored under. Two things would break that and are excluded: a write
// transaction of this connection (its uncommitted cookie can be rolled back and reused by
// different DDL) — inside one nothing is read from or written to the cache —, and ATTACH or
// DETACH (another file could answer to the same schema name with the same cookie) — every
// ATTACH/DETACH compiled on the connection clears the cache (Authorizer::schema_cache), and
// a schema name found backed by another file than before clears it too.
//
// Thread-safety: one per connection, used by that connection's thread.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dbvault::storage {

class SchemaCache {
 public:
  using Rows = std::vector<std::vector<std::string>>;  // every column as text, NULL as ""

  explicit SchemaCache(sqlite3* db) : db_(db) {}
  SchemaCache(const SchemaCache&) = delete;
  SchemaCache& operator=(const SchemaCache&) = delete;

  // The cookie of `schema`'s schema now, or nullopt when it cannot be used (inside a write
  // transaction, or the cookie query failed: then the caller runs its query uncached).
  // REQUIRES: the authorizer is in internal mode.
  std::optional<std::int64_t> cookie(const std::string& schema);
  // The data version of `schema`'s file (SQLITE_FCNTL_DATA_VERSION), which changes with every
  // change to the file, by this connection or another: while it is what it was when cookie()
  // was read, so is the cookie. nullopt when it cannot vouch for that: no read transaction on
  // the schema (outside one, SQLite's counter can be behind another connection's commit; temp,
  // which only this connection changes, needs none), a write transaction, no cookie() read of
  // the schema yet, or another file under the name since.
  std::optional<unsigned> data_version(const std::string& schema) const;
  // The answer stored for `sql` under `cookie`, if any.
  std::shared_ptr<const Rows> find(const std::string& sql, std::int64_t cookie) const;
  void store(const std::string& sql, std::int64_t cookie, std::shared_ptr<const Rows> rows);
  void clear();  // also a new generation()
  // A number that changes with every clear() and every changed(): what was derived from the
  // schema under one generation (index_reads.h's plan memo) is not used under another.
  std::uint64_t generation() const { return generation_; }
  void changed() { ++generation_; }

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  struct Entry {
    std::int64_t cookie = 0;
    std::shared_ptr<const Rows> rows;
  };
  static constexpr std::size_t kMaxEntries = 512;  // then everything is dropped and refilled

  sqlite3* db_;
  struct CookieQuery {
    std::unique_ptr<sqlite3_stmt, Finalize> stmt;
    std::string file;  // sqlite3_db_filename when prepared ("" for an in-memory database)
  };
  std::map<std::string, CookieQuery> cookie_queries_;
  std::map<std::string, Entry> answers_;
  std::uint64_t generation_ = 0;
};

}  // namespace dbvault::storage
