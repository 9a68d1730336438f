// AccessResolver: what the host database tells the vault about a statement of its own SQL —
// the (command, object) pairs running it would perform — so that EXPLAIN VAULT can show the
// checks decide() would make for it without running it. The vault cannot know this itself:
// which tables and columns a query reads is the engine's knowledge (storage/ implements it
// for the embedded SQLite engine with SQLite's authorizer).
//
// Thread-safety: accesses() may be called from any thread; implementations serialise.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "vault/decision.h"

namespace dbvault::vault {

struct StatementAccesses {
  std::vector<Access> accesses;
  std::vector<std::string> names;  // names[i]: the engine's name of accesses[i], "main.users.ssn"
};

class AccessResolver {
 public:
  virtual ~AccessResolver() = default;
  // The accesses of `sql` (one statement of the engine's SQL), objects resolved against
  // `snap` with PolicySnapshot::resolve_access_object (kNoId: the vault does not know the
  // object). Errors are the engine's: 42601 for a syntax error, 42P01 for an unknown table...
  virtual Result<StatementAccesses> accesses(const PolicySnapshot& snap,
                                             std::string_view sql) const = 0;
};

}  // namespace dbvault::vault
