#include "storage/tablespace_keys.h"

#include "storage/vfs/page_key.h"

namespace dbvault::storage {

crypto::KeyAuthorization TablespaceKeyAuthorizer::authorize(const crypto::SessionRef& session,
                                                            const crypto::KeyScope& scope) const {
  if (scope.kind() == crypto::ScopeKind::kTablespace) {
    if (server_ && session.session_id == server_->session_id && session.user == server_->user) {
      return {true, TimePoint::max()};
    }
    const auto info = catalog_.find(scope.name());
    if (!info) return {};
    if (info->tables.empty() && !policy_.snapshot()->realm_of_tablespace(scope.name())) {
      return {true, TimePoint::max()};
    }
  }
  return vault_.authorize(session, scope);
}

Result<std::vector<crypto::TekHandle>> TablespaceKeys::release_all(const crypto::KeyScope& scope) {
  auto handle = release(scope);
  if (!handle) return std::move(handle).error();
  std::vector<crypto::TekHandle> out;
  out.push_back(std::move(*handle));
  return out;
}

Result<std::shared_ptr<const vfs::PageKey>> release_ring(TablespaceKeys& keys,
                                                         const crypto::KeyScope& scope) {
  auto handles = keys.release_all(scope);
  if (!handles) return std::move(handles).error();
  return vfs::PageKey::from_handles(std::move(*handles));
}

}  // namespace dbvault::storage
