// KeyScope: what one TEK protects. Each scope has its own TEK (and its versions).
//   tablespace:<name>  the pages, WAL and journals of one tablespace
//   columns:<table>    the encrypted columns of one table (schema-qualified name)
//   audit              the audit store
//   policy             the policy store
// Thread-safety: a value type.
#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "common/result.h"

namespace dbvault::crypto {

enum class ScopeKind { kTablespace, kColumns, kAudit, kPolicy };

class KeyScope {
 public:
  static KeyScope tablespace(std::string name) { return {ScopeKind::kTablespace, std::move(name)}; }
  static KeyScope columns(std::string table) { return {ScopeKind::kColumns, std::move(table)}; }
  static KeyScope audit() { return {ScopeKind::kAudit, {}}; }
  static KeyScope policy() { return {ScopeKind::kPolicy, {}}; }
  // Parses to_string()'s output. 22023 for an unknown kind or an invalid name.
  static Result<KeyScope> parse(std::string_view text);

  ScopeKind kind() const { return kind_; }
  const std::string& name() const { return name_; }
  // "tablespace:users", "columns:main.patients", "audit", "policy": the stored form.
  std::string to_string() const;
  // 22023 unless tablespace/columns scopes have a 1..128 byte name without control characters
  // and audit/policy scopes have none.
  Status validate() const;

  auto operator<=>(const KeyScope&) const = default;

 private:
  KeyScope(ScopeKind kind, std::string name) : kind_(kind), name_(std::move(name)) {}
  ScopeKind kind_;
  std::string name_;
};

}  // namespace dbvault::crypto
