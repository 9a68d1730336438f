#include "storage/sqlite_process.h"

#include <sqlite3.h>

namespace dbvault::storage {

bool configure_sqlite_process() { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK; }

}  // namespace dbvault::storage
