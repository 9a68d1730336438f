// The vault.* views: read-only listings for AUDIT_VIEWER and VAULT_ADMIN.
#include "vault/vault_impl.h"

namespace dbvault::vault {

namespace {

std::string time_or_empty(const sqlite::Statement& st, int c) {
  if (st.is_null(c)) return {};
  const auto us = std::chrono::microseconds(st.int64(c));
  return audit::format_time(audit::Timestamp(std::chrono::duration_cast<std::chrono::seconds>(us)));
}

struct View {
  std::string_view name;
  std::vector<std::string> columns;
  std::string_view sql;
  std::vector<int> time_columns;  // columns holding microsecond times
};

const std::vector<View>& views() {
  static const std::vector<View> kViews = {
      {"vault.emergency_unlocks",
       {"request_id", "realm", "requester", "authorized_by", "reason", "valid_for_s", "state",
        "requested_at", "decided_by", "decided_at", "expires_at", "reviewed_by", "reviewed_at",
        "needs_review"},
       "SELECT e.public_id, e.realm_name, e.requester, e.authorizer, e.reason, e.valid_for_s, "
       "e.state, "
       "e.requested_at, COALESCE(e.decided_by, ''), e.decided_at, e.expires_at, "
       "COALESCE(e.reviewed_by, ''), e.reviewed_at, "
       "CASE WHEN e.state != 'pending' AND e.reviewed_by IS NULL THEN 'true' ELSE 'false' END "
       "FROM emergency_requests e ORDER BY e.id",
       {7, 9, 10, 12}},
      {"vault.tokens",
       {"token_id", "user", "realm", "issued_at", "expires_at", "revoked", "password_id"},
       "SELECT t.public_id, u.name, r.name, t.issued_at, t.expires_at, "
       "CASE WHEN t.revoked != 0 THEN 'true' ELSE 'false' END, "
       "COALESCE(g.public_id, 'realm_password') FROM vault_tokens t "
       "JOIN users u ON u.id = t.user_id JOIN realms r ON r.id = t.realm_id "
       "LEFT JOIN vault_grants g ON g.id = t.grant_id ORDER BY t.id",
       {3, 4}},
      {"vault.realms",
       {"realm", "description", "owner", "mode", "state", "require_password", "objects"},
       "SELECT r.name, r.description, COALESCE(u.name, ''), "
       "CASE r.mode WHEN 0 THEN 'MANDATORY' ELSE 'REGULAR' END, "
       "CASE r.state WHEN 0 THEN 'ENABLED' WHEN 1 THEN 'DISABLED' ELSE 'SIMULATION' END, "
       "CASE WHEN r.require_password != 0 THEN 'true' ELSE 'false' END, "
       "(SELECT COUNT(*) FROM realm_objects o WHERE o.realm_id = r.id) "
       "FROM realms r LEFT JOIN users u ON u.id = r.owner_user_id ORDER BY r.name",
       {}},
      {"vault.masking_policies",
       {"table_name", "column_name", "mode", "role"},
       "SELECT m.schema_name || '.' || m.table_name, m.column_name, "
       "CASE m.mode WHEN 0 THEN 'FULL' WHEN 1 THEN 'PARTIAL' WHEN 2 THEN 'HASH' ELSE 'NULL' END, "
       "COALESCE(r.name, '') FROM masking_policies m LEFT JOIN roles r ON r.id = m.role_id "
       "ORDER BY m.schema_name, m.table_name, m.column_name, COALESCE(r.name, '')",
       {}},
  };
  return kViews;
}

}  // namespace

Result<StatementResult> VaultImpl::view(Session& s, std::string_view name) {
  const View* v = nullptr;
  for (const auto& candidate : views()) {
    if (candidate.name == name) v = &candidate;
  }
  if (v == nullptr) {
    return make_error(sqlstate::kUndefinedObject, "view " + std::string(name) + " does not exist");
  }
  auto sn = snap();
  if (!sn->has_role(s.user_id(), kRoleAuditViewer) && !sn->has_role(s.user_id(), kRoleVaultAdmin)) {
    return sod_violation(s, "AUDIT_VIEWER or VAULT_ADMIN", "SELECT FROM " + std::string(name))
        .error();
  }
  StatementResult result{"SELECT", v->columns, {}};
  DBV_RETURN_IF_ERROR(store->read([&](PolicyStore::Db& db) -> Status {
    auto q = db.prepare(v->sql);
    if (!q) return std::move(q).error();
    for (;;) {
      auto row = q->step();
      if (!row) return std::move(row).error();
      if (!*row) return ok_status();
      std::vector<std::string> out;
      for (int c = 0; c < static_cast<int>(v->columns.size()); ++c) {
        const bool is_time =
            std::find(v->time_columns.begin(), v->time_columns.end(), c) != v->time_columns.end();
        out.push_back(is_time ? time_or_empty(*q, c) : q->text(c));
      }
      result.rows.push_back(std::move(out));
    }
  }));
  result.tag = "SELECT " + std::to_string(result.rows.size());
  return result;
}

}  // namespace dbvault::vault
