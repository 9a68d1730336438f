// Path containment for the checks that keep files out of reach (VACUUM INTO targets, the
// PostgreSQL module's COPY targets): where a path really is, and whether it is inside a
// directory.
#pragma once

#include <filesystem>

namespace dbvault {

// `p` made absolute, with every symbolic link and `..` of its existing part resolved (the
// rest as written, lexically normalized).
std::filesystem::path canonical_as_far_as_exists(const std::filesystem::path& p);

// `path` is `root` or below it, component-wise (/data2 is not below /data; a trailing
// separator of `root` counts for nothing). Both should be canonical_as_far_as_exists().
bool path_within(const std::filesystem::path& path, const std::filesystem::path& root);

}  // namespace dbvault
