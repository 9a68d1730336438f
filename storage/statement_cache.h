// A connection's cache of prepared statements that the server runs again with other parameter
// values: the simple queries it auto-parameterized (server/pgcompat/auto_parameters.h), which
// then cost one bind instead of a compile (docs/engine.md §6). A cached statement is checked
// again at every execution, as any prepared statement is (Statement::step); an entry is only
// used under the policy version it was prepared under, so a policy change (a mask, a realm, a
// rule) prepares it again. Used by the connection's thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>

namespace dbvault::storage {

class Statement;

class StatementCache {
 public:
  // Least recently used entries leave beyond this many.
  static constexpr std::size_t kCapacity = 32;

  StatementCache();
  ~StatementCache();
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // The statement cached for (`sql`, `exported`), or nullptr. An entry of another policy
  // version, or one that needs to be prepared again (Statement::needs_prepare), is dropped. A hit
  // becomes the most recently used.
  Statement* find(std::string_view sql, bool exported, std::uint64_t policy_version);
  // Caches `statement` (replacing an entry of the same key) and returns it.
  Statement* insert(std::string sql, bool exported, std::uint64_t policy_version,
                    std::unique_ptr<Statement> statement);
  // Finalizes every cached statement (before the connection closes).
  void clear();

 private:
  struct Entry {
    std::size_t hash;
    std::string sql;
    bool exported;
    std::uint64_t policy_version;
    std::unique_ptr<Statement> statement;
  };
  std::list<Entry>::iterator locate(std::size_t hash, std::string_view sql, bool exported);
  std::list<Entry> entries_;  // most recently used first
};

}  // namespace dbvault::storage
