// Keeping the secrets of vault statements out of PostgreSQL's server log (log_hook.cpp):
// a statement that calls a dbvault function may carry a realm password, a token or a user
// password in its literals (`SELECT dbvault.unlock_realm('pii', 'pw')`), and PostgreSQL writes
// statement text to its log in several places (log_statement, log_min_duration_statement,
// the STATEMENT line of an error, extended-protocol parameters).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace dbvault::pgext {

// True when `sql` names the dbvault schema (ASCII case-insensitively, quoted or not).
bool mentions_vault(std::string_view sql);

// `text` with every SQL literal replaced by '?' (audit::strip_literals), for a log line.
std::string redact(std::string_view text);

}  // namespace dbvault::pgext
