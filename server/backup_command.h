// `dbvault backup` and `dbvault restore` (docs/server.md, "Backup and restore").
//
//   dbvault backup  --data-dir D --to F [--key-id ID]
//     of a *stopped* server's data directory (a running server holds its audit store's lock:
//     then the command refuses, 55000, and BACKUP DATABASE over SQL takes the online backup).
//     The restore password is $DBVAULT_RESTORE_PASSWORD, or made and printed once.
//   dbvault restore --from F --data-dir NEW [--key-file K] [--config C]
//     into a new directory; the password from $DBVAULT_RESTORE_PASSWORD; the master key named
//     in the backup's header from its provider: env ($DBVAULT_MASTER_KEY_HEX / _ID), file
//     (--key-file, copied into NEW/keys/), pkcs11 or kmip (the settings of --config C).
//
// Exit status: 0 done, 2 usage error, 3 any other error ("ERROR <SQLSTATE>: <message>").
#pragma once

#include <iosfwd>
#include <string_view>
#include <vector>

namespace dbvault::server {

// `args` are the words after "backup" / "restore".
int run_backup_command(const std::vector<std::string_view>& args, std::ostream& out,
                       std::ostream& err);
int run_restore_command(const std::vector<std::string_view>& args, std::ostream& out,
                        std::ostream& err);

}  // namespace dbvault::server
