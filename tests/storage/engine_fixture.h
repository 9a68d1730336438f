// The storage suites' fixture: the vault suites' VaultFixture (real policy.db, manual clock,
// memory audit sink) plus a real engine database under data/, encrypted as the server's is
// (EngineOptions::vfs, a TdeVfs under a random key), and helpers that run SQL on an engine
// connection as a user.
//
// Cast (on top of VaultFixture::cast): engine tables users(id, name, ssn), financial_records
// (id, amount), orders(id, user_id, note), log(x), made directly in the file (so that the
// vault's registrations stay those of cast(): bob owns users and financial_records);
// realm pii (no password) protects users and authorizes bob; realm fin REQUIRE VAULT PASSWORD
// 'fin-secret-2025' protects financial_records. orders and log are registered, owned by
// dba_alice; bob may SELECT, INSERT, UPDATE, DELETE orders and SELECT, INSERT log.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/engine.h"
#include "storage/vfs/tde_vfs.h"
#include "tests/vault/vault_fixture.h"

namespace dbvault::storage::test {

using vault::Session;

struct EngineFixture : vault::test::VaultFixture {
  EngineFixture();
  ~EngineFixture();

  std::filesystem::path engine_db = dir / "data" / "engine.db";
  std::shared_ptr<vfs::TdeVfs> engine_vfs;  // outlives the engine
  std::unique_ptr<Engine> engine;

  // One session and connection per user, made on first use.
  Connection& as(std::string_view user, std::string program = "psql");

  // Runs every step of `sql` on `c`; the rows as text ("NULL" for NULL), or the error.
  Result<std::vector<std::vector<std::string>>> run_sql(Connection& c, std::string_view sql);
  std::vector<std::vector<std::string>> rows(Connection& c, std::string_view sql);  // must pass
  void exec(Connection& c, std::string_view sql) { rows(c, sql); }
  // Fails the test unless `sql` fails with `code`; returns the error.
  Error refused(Connection& c, std::string_view sql, std::string_view code = "42501");

  // Read directly from the file (through engine_vfs), past the vault.
  std::int64_t count(std::string_view table);
  void raw_exec(std::string_view sql);

  // A TdeVfs under a new random AES-256-GCM key.
  static std::shared_ptr<vfs::TdeVfs> random_vfs();

 private:
  struct User {
    std::string name;
    std::unique_ptr<Session> session;
    std::unique_ptr<Connection> connection;
  };
  std::vector<User> users_;
};

}  // namespace dbvault::storage::test
