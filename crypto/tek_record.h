// Internal to crypto/ (TekStore): the rows of keys.db's `teks` table — reading them, their
// binding tag, the invariants a scope's versions keep, and the budget of invocations each
// version has reserved (docs/keys.md §3). Format version 3: the `scope` columns hold lookup
// ids and `scope_sealed` the sealed names (scope_names.h); formats 1 and 2 (plain names) are
// read only to migrate them, with `names` null.
//
// Thread-safety: free functions on a Database the caller serialises (TekStore's mutex).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/sqlite_db.h"
#include "crypto/mac.h"
#include "crypto/master_key_provider.h"
#include "crypto/scope_names.h"
#include "crypto/tek_store.h"

namespace dbvault::crypto::internal {

inline constexpr std::int64_t kRecordVersion = 2;  // the only version read outside migration

struct TekRow {
  TekInfo info;
  std::vector<std::uint8_t> wrapped;
  std::vector<std::uint8_t> binding;
  std::int64_t record_version = kRecordVersion;
};

// The binding tag of a record of `record_version` (1: scope, version, algorithm, created_at;
// 2: those and state and mek_id), under HKDF(tek, "dbvault tek binding v<n>").
Result<MacTag> binding_tag(const SecretBytes& tek, const TekInfo& info,
                           std::int64_t record_version = kRecordVersion);
// Ok when `row.binding` is the tag of `row` under `tek`; XX001 naming the record otherwise.
Status check_binding(const SecretBytes& tek, const TekRow& row);

// What a `scope` column holds for `scope`: its lookup id, or (names null, formats 1 and 2)
// its plain name.
std::string stored_scope(const ScopeNames* names, const KeyScope& scope);

// The rows `where` selects (a clause with at most one '?', bound to `scope` when given), their
// names opened by `names` (XX001 if one does not open or match its id; null: plain names).
// Rows of another record version are XX001 unless `any_version` (the format 1 migration).
Result<std::vector<TekRow>> query_rows(sqlite::Database& db, const ScopeNames* names,
                                       const std::string& where, const KeyScope* scope,
                                       bool any_version = false);

// The state invariant of one scope's rows, which a replayed old record breaks: at most one
// active version, and it is the newest. XX001 otherwise.
Status check_states(const KeyScope& scope, const std::vector<TekRow>& rows);

// Rewrites the row's state, mek_id and wrapped key, with a fresh binding under `tek`.
Status rebind(sqlite::Database& db, const ScopeNames* names, const TekInfo& info,
              std::span<const std::uint8_t> wrapped, const SecretBytes& tek);

// Format 1 -> 2, in the caller's transaction: every row is unwrapped with `mek`, its v1 tag
// checked, its mek_id checked against `mek`, the scope's states checked, and the row rebound
// as version 2. XX001 (and nothing changes) if any check fails.
Status migrate_from_format_1(sqlite::Database& db, MasterKeyProvider& mek);

// Format 2 -> 3, in the caller's transaction: every row's binding checked (unwrapped with
// `mek`), its plain name replaced by its lookup id and sealed name under `names`, the budgets'
// names by their ids. XX001 (and nothing changes) if a binding does not match. The caller
// turns secure_delete on first, so the plain names are not left in free pages.
Status migrate_from_format_2(sqlite::Database& db, MasterKeyProvider& mek, const ScopeNames& names);

// The invocations reserved so far for a key version (0 if none), and reserving up to
// `up_to` (never lowering it). The budget a restart starts from (InvocationBudget).
Result<std::uint64_t> reserved_invocations(sqlite::Database& db, const ScopeNames& names,
                                           const KeyScope& scope, std::uint32_t version);
Status reserve_invocations(sqlite::Database& db, const ScopeNames& names, const KeyScope& scope,
                           std::uint32_t version, std::uint64_t up_to);

}  // namespace dbvault::crypto::internal
