// SELECT ... FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE [OF t, ...] [NOWAIT]. SQLite has
// no row locks: a transaction is serializable, and a write that conflicts with another
// transaction's is refused (40001, retry) instead of waiting for it. That gives what FOR
// UPDATE is used for (no lost update), so the clause is dropped. SKIP LOCKED cannot be
// honoured (it would need row locks to skip) and is refused.
#include "server/pgcompat/statement.h"

namespace dbvault::server::pgcompat::detail {

Result<std::vector<Edit>> locking_edits(const Stmt& s) {
  std::vector<Edit> edits;
  if (!s.word(0, "SELECT") && !s.word(0, "WITH")) return edits;
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (!s.word(i, "FOR")) continue;
    std::size_t j = i + 1;
    if (s.word(j, "UPDATE") || s.word(j, "SHARE")) {
      j += 1;
    } else if (s.word(j, "NO") && s.word(j + 1, "KEY") && s.word(j + 2, "UPDATE")) {
      j += 3;
    } else if (s.word(j, "KEY") && s.word(j + 1, "SHARE")) {
      j += 2;
    } else {
      continue;
    }
    if (s.word(j, "OF")) {
      for (j += 2; s.punct(j, ',') || s.punct(j, '.'); j += 2) {
      }
    }
    if (j > s.size()) return syntax_error(s, s.size());  // "FOR UPDATE OF" without a name
    if (s.word(j, "NOWAIT")) ++j;
    if (s.word(j, "SKIP") && s.word(j + 1, "LOCKED")) return not_supported("SKIP LOCKED", s, j);
    const std::size_t end = s.tokens[j - 1].end();
    edits.push_back({s.tokens[i].offset, end - s.tokens[i].offset, ""});
    i = j - 1;
  }
  return edits;
}

}  // namespace dbvault::server::pgcompat::detail
