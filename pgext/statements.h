// The vault statements behind the short SQL functions (dbvault.unlock_realm, ...), written
// with the vault grammar's quoting: identifiers in "...", secrets in '...' with '' doubled, so
// any realm name or secret text stays one token (no injection into the statement).
#pragma once

#include <string>
#include <string_view>

#include "common/secret_string.h"

namespace dbvault::pgext {

std::string quote_identifier(std::string_view name);
// UNLOCK REALM "<realm>" PASSWORD|TOKEN '<secret>'. The result holds the secret.
SecretString unlock_statement(std::string_view realm, std::string_view secret, bool by_token);
std::string lock_statement(std::string_view realm);  // LOCK REALM "<realm>"

}  // namespace dbvault::pgext
