// Masking policies as a session meets them (docs/encryption.md, "Masking"). The vault stores
// them (ALTER TABLE ... SET MASKING, VAULT_ADMIN only) and publishes them in every
// PolicySnapshot; the engine (storage/masking.h) asks which masks hold for a session's user
// and substitutes the masked columns at name resolution.
//
// Which mask holds: for each masked column, the masks FOR ROLE r of every role the user holds
// (directly, inherited or built in), the strictest of them (NULL > FULL > HASH > PARTIAL);
// without any, the mask for every session (no FOR ROLE), from which nobody is exempt — not
// the DBA, not the table's owner, not a VAULT_ADMIN (docs/encryption.md says why).
// Thread-safety: pure functions of an immutable snapshot.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "grammar/ast.h"
#include "vault/policy_snapshot.h"

namespace dbvault::vault {

struct ColumnMask {
  std::string schema, table, column;  // folded (ASCII lower case), as stored
  ast::MaskingMode mode = ast::MaskingMode::kFull;
  bool operator==(const ColumnMask&) const = default;
};

// The masks that hold for `user`, one per masked column, sorted by (table, column).
std::vector<ColumnMask> masks_for(const PolicySnapshot& snap, std::uint32_t user);

// True if any masking policy names `table` (folded), for any role: such a table may not be
// altered (a rename would move its data out from under its masks).
bool table_has_masks(const PolicySnapshot& snap, std::string_view table);

// The one of `a`, `b` that reveals less (NULL > FULL > HASH > PARTIAL).
ast::MaskingMode stricter(ast::MaskingMode a, ast::MaskingMode b);

// "FULL", "PARTIAL", "HASH", "NULL".
std::string_view masking_mode_name(ast::MaskingMode mode);

// ASCII lower case: how masking policies store and compare names (as SQLite compares them).
std::string fold_name(std::string_view name);

}  // namespace dbvault::vault
