#include "common/paths.h"

#include <system_error>

namespace dbvault {

namespace fs = std::filesystem;

fs::path canonical_as_far_as_exists(const fs::path& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  if (ec) return p.lexically_normal();
  fs::path c = fs::weakly_canonical(abs, ec);
  return ec ? abs.lexically_normal() : c;
}

bool path_within(const fs::path& path, const fs::path& root) {
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r) {
    if (r->empty()) continue;  // a trailing separator
    if (p == path.end() || *p != *r) return false;
    ++p;
  }
  return true;
}

}  // namespace dbvault
