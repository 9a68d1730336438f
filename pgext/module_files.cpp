#include "pgext/module_files.h"

#include <filesystem>
#include <string>
#include <system_error>

#include "common/paths.h"
#include "common/sqlstate.h"
#include "pgext/module.h"

namespace dbvault::pgext {
namespace {

namespace fs = std::filesystem;

// `path` is the store file itself or one of SQLite's files beside it (-wal, -shm, -journal).
bool store_file(const fs::path& path, const fs::path& store) {
  const std::string p = path.string(), s = store.string();
  return p.compare(0, s.size(), s) == 0;
}

}  // namespace

bool server_file_allowed(const char* file) {
  BackendState& st = backend_state();
  return run_guarded(st.error, [&]() -> Status {
    const ModuleSettings ms = module_settings();
    fs::path p(file != nullptr ? file : "");
    if (p.is_relative()) p = ms.data_dir / p;
    const fs::path target = canonical_as_far_as_exists(p);
    const bool refused = path_within(target, canonical_as_far_as_exists(ms.data_dir)) ||
                         path_within(target, canonical_as_far_as_exists(ms.keys_dir)) ||
                         path_within(target, canonical_as_far_as_exists(ms.audit_dir)) ||
                         store_file(target, canonical_as_far_as_exists(ms.policy_path));
    if (!refused) return ok_status();
    Error e = make_error(sqlstate::kInsufficientPrivilege,
                         "dbvault: COPY to or from a file in the data directory or the "
                         "module's stores is refused");
    e.hint =
        "The module refuses it for every role, superusers included: the data directory "
        "holds the vault's keys and policy, the tables' files and the server's "
        "configuration.";
    return e;
  });
}

}  // namespace dbvault::pgext
