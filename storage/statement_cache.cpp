#include "storage/statement_cache.h"

#include <functional>

#include "storage/engine.h"

namespace dbvault::storage {

StatementCache::StatementCache() = default;
StatementCache::~StatementCache() = default;

std::list<StatementCache::Entry>::iterator StatementCache::locate(std::size_t hash,
                                                                  std::string_view sql,
                                                                  bool exported) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->hash == hash && it->exported == exported && it->sql == sql) return it;
  }
  return entries_.end();
}

Statement* StatementCache::find(std::string_view sql, bool exported, std::uint64_t policy_version) {
  const auto it = locate(std::hash<std::string_view>{}(sql), sql, exported);
  if (it == entries_.end()) return nullptr;
  if (it->policy_version != policy_version || it->statement->needs_prepare()) {
    entries_.erase(it);
    return nullptr;
  }
  entries_.splice(entries_.begin(), entries_, it);
  return entries_.front().statement.get();
}

Statement* StatementCache::insert(std::string sql, bool exported, std::uint64_t policy_version,
                                  std::unique_ptr<Statement> statement) {
  const std::size_t hash = std::hash<std::string_view>{}(sql);
  if (auto it = locate(hash, sql, exported); it != entries_.end()) entries_.erase(it);
  if (entries_.size() >= kCapacity) entries_.pop_back();
  entries_.push_front(Entry{hash, std::move(sql), exported, policy_version, std::move(statement)});
  return entries_.front().statement.get();
}

void StatementCache::clear() { entries_.clear(); }

}  // namespace dbvault::storage
