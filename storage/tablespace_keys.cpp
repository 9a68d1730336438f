#include "storage/tablespace_keys.h"

namespace dbvault::storage {

crypto::KeyAuthorization TablespaceKeyAuthorizer::authorize(const crypto::SessionRef& session,
                                                            const crypto::KeyScope& scope) const {
  if (scope.kind() == crypto::ScopeKind::kTablespace) {
    if (server_ && session.session_id == server_->session_id && session.user == server_->user) {
      return {true, TimePoint::max()};
    }
    const auto info = catalog_.find(scope.name());
    if (info && info->tables.empty()) return {true, TimePoint::max()};
  }
  return vault_.authorize(session, scope);
}

}  // namespace dbvault::storage
