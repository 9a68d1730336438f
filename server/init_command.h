// `dbvault init`: creates a data directory (docs/server.md, "Data directory").
//
//   dbvault init --data-dir D [--kms file|env|pkcs11|kmip] [--pkcs11-module M]
//                [--pkcs11-token-label L] [--pkcs11-key-label K]
//                [--kmip-host H --kmip-port P --kmip-cert F --kmip-key F --kmip-ca F
//                 [--kmip-key-name N]]
//
// Creates the key store (and, with --kms file, the master key file), the audit store, the
// policy store with the accounts dba (DBA, ACCOUNT_MANAGER), secadmin (VAULT_ADMIN) and
// auditor (AUDIT_VIEWER), the engine database, a self-signed TLS certificate and dbvault.conf.
// Passwords come from DBVAULT_DBA_PASSWORD, DBVAULT_SECADMIN_PASSWORD and
// DBVAULT_AUDITOR_PASSWORD, or are generated and printed once on standard output (never
// logged). Refuses a directory that exists and is not empty; on failure removes what it made.
#pragma once

#include <ostream>
#include <string_view>
#include <vector>

namespace dbvault::server {

int run_init_command(const std::vector<std::string_view>& args, std::ostream& out,
                     std::ostream& err);

}  // namespace dbvault::server
