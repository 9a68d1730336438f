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

// True when `sql` may hand a secret to a dbvault function: it names the dbvault schema, or it
// says EXECUTE (`EXECUTE p('realm', 'password')` of a statement prepared earlier, and
// PL/pgSQL's dynamic EXECUTE), whose text does not name it.
bool may_pass_secrets(std::string_view sql);

// `message` with every occurrence of the contents of a string literal of `statement` (a vault
// statement: '...' with '' for a quote) replaced by '?', for the error of a statement that
// failed — which PostgreSQL writes to its log as well as to the client. A vault error may
// repeat what it was given (`vault token <what REVOKE VAULT TOKEN got> does not exist`),
// and that may be a whole token or a password. Literals shorter than 8 characters are kept:
// they are no secret (a password is longer) and would match names by chance.
std::string without_literals_of(std::string_view message, std::string_view statement);

// `text` with every SQL literal replaced by '?' (audit::strip_literals), for a log line.
std::string redact(std::string_view text);

// The CONTEXT lines of an error (`SQL statement "SELECT dbvault.unlock_realm('r', 'pw')"`),
// line by line: the literals of the quoted statement replaced by '?', then anything left
// between the line's first and last single quote replaced by one '?'.
std::string redact_context(std::string_view text);

}  // namespace dbvault::pgext
