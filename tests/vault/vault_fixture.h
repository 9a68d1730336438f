// The vault suites' fixture: a real policy.db in a fresh temporary directory, a ManualClock,
// a MemoryAuditSink, cheap Argon2 parameters, and helpers that run statements written as SQL.
#pragma once

#include "tests/support/temp_dir.h"

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "grammar/grammar.h"
#include "vault/vault.h"

namespace dbvault::vault::test {

// Monday 2025-10-13 12:00:00 UTC.
TimePoint monday_noon();

struct VaultFixture {
  VaultFixture();
  ~VaultFixture();

  dbvault::test::TempDir tmp{"vault"};
  std::filesystem::path dir = tmp.path();
  ManualClock clock{monday_noon()};
  MemoryAuditSink sink;
  std::unique_ptr<Vault> vault;
  const AccessResolver* access_resolver = nullptr;  // for options(); set, then reopen()

  Options options();
  void open();
  void reopen();  // closes the vault and opens the same policy.db again

  Session login(std::string_view user, std::string program = "psql");
  // Parses and executes `sql`; fails the test on error.
  StatementResult ok(Session& s, std::string_view sql);
  // Parses and executes `sql`; fails the test unless it fails with `code`.
  Error fails(Session& s, std::string_view sql, std::string_view code);
  Result<StatementResult> run(Session& s, std::string_view sql);
  // check() for one access to `object` ("users" or "users.ssn").
  Status access(Session& s, ast::Command command, std::string_view object);

  // The bootstrap accounts (options()): dba_boot (DBA, ACCOUNT_MANAGER), sec_admin
  // (VAULT_ADMIN), carol (AUDIT_VIEWER). The standard cast adds admin2 (VAULT_ADMIN),
  // dba_alice (DBA), bob (no roles), acct (ACCOUNT_MANAGER); tables users(id, name, ssn) and
  // financial_records(id, amount) owned by bob; bob may SELECT both.
  void cast();

  // The canonical JSON of every recorded event, concatenated.
  std::string events_json() const;
  std::size_t count_events(audit::EventType type) const;
};

}  // namespace dbvault::vault::test
