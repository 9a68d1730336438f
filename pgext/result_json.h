// The rows dbvault.execute() returns: a vault statement's result (vault::StatementResult) as
// one JSON object per row, {"column": "value", ...}, for the SQL function's `result jsonb`
// column. The rows of UNLOCK REALM and GRANT VAULT PASSWORD carry a secret: they go to the
// caller and nowhere else (never to a log).
#pragma once

#include <string>
#include <vector>

#include "vault/vault.h"

namespace dbvault::pgext {

// One JSON text per row of `result`, in order; empty when the statement returns no rows.
std::vector<std::string> rows_as_json(const vault::StatementResult& result);

}  // namespace dbvault::pgext
