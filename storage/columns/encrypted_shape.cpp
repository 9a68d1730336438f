// encrypted_shape() and check_encrypted_shape() (engine_internal.h): a statement prepared
// under one shape of its tables' encrypted columns never runs under another.
#include <set>

#include "common/sqlstate.h"
#include "storage/engine_internal.h"
#include "storage/sql_words.h"

namespace dbvault::storage {

EncryptedShape encrypted_shape(const ConnectionState& c, const StatementFacts& facts) {
  EncryptedShape out;
  std::set<std::string> seen;
  for (const auto& a : facts.accesses) {
    if (a.schema.empty()) continue;
    std::string name = fold_ascii(a.schema) + "." + fold_ascii(a.table);
    if (!seen.insert(name).second) continue;
    if (auto t = c.engine.columns.find(name)) out.emplace(std::move(name), std::move(t->columns));
  }
  return out;
}

void record_encrypted_shape(StatementState& st, std::uint64_t epoch_before_compile) {
  st.columns_epoch = epoch_before_compile;
  st.shape = encrypted_shape(st.conn, st.compiled.facts);
  // The catalog changed while the statement was compiled and rewritten: the shape just read
  // may not be the one the rewrite saw. A shape no table has makes the first execution stale.
  if (st.conn.engine.columns.epoch() != epoch_before_compile) st.shape[""] = {};
}

Status check_encrypted_shape(StatementState& st) {
  const std::uint64_t epoch = st.conn.engine.columns.epoch();
  if (epoch == st.columns_epoch) return ok_status();
  if (encrypted_shape(st.conn, st.compiled.facts) == st.shape) {
    st.columns_epoch = epoch;
    return ok_status();
  }
  st.stale = true;
  return make_error(sqlstate::kFeatureNotSupported,
                    "cached plan must not change result type: a table of this prepared "
                    "statement gained or lost encrypted columns since it was prepared (DROP and "
                    "CREATE TABLE ... ENCRYPTED); prepare it again");
}

}  // namespace dbvault::storage
