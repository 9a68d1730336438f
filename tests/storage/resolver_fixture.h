// A VaultFixture with an engine database made directly from `schema` (SQL run past the vault)
// and the EXPLAIN VAULT resolver (storage::SqliteAccessResolver) on it, installed in the vault.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/access_set.h"
#include "tests/vault/vault_fixture.h"

namespace dbvault::storage::test {

struct ResolverFixture : vault::test::VaultFixture {
  explicit ResolverFixture(const char* schema);

  std::filesystem::path engine_db = dir / "engine.db";
  std::unique_ptr<SqliteAccessResolver> resolver;

  // The resolver's accesses for `sql`, as "COMMAND schema.table[.column]".
  Result<std::vector<std::string>> accesses(std::string_view sql);
  // Vault::check of those accesses for `s`.
  Status check(vault::Session& s, std::string_view sql);
};

}  // namespace dbvault::storage::test
