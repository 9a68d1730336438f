#include "server/session/catalog.h"

#include <algorithm>

namespace dbvault::server::session {
namespace {

class SessionCatalog final : public pgcompat::CatalogSource {
 public:
  SessionCatalog(ServerContext& ctx, std::string user)
      : ctx_(ctx), inner_(ctx.catalog_db, std::move(user)) {}

  // The engine's own bookkeeping tables (dbvault_*) are not the user's: not listed.
  Result<std::vector<pgcompat::RelationInfo>> relations() const override {
    std::lock_guard lock(ctx_.catalog_mu);
    auto all = inner_.relations();
    if (!all) return all;
    std::erase_if(*all, [](const auto& r) { return r.name.starts_with("dbvault_"); });
    return all;
  }
  Result<std::vector<pgcompat::ColumnInfo>> columns(std::string_view table) const override {
    std::lock_guard lock(ctx_.catalog_mu);
    return inner_.columns(table);
  }
  Result<std::vector<pgcompat::IndexInfo>> indexes(std::string_view table) const override {
    std::lock_guard lock(ctx_.catalog_mu);
    return inner_.indexes(table);
  }
  Result<std::vector<pgcompat::RoleInfo>> roles() const override {
    const auto snap = ctx_.services.vault->snapshot();
    const auto& data = snap->data();
    std::vector<pgcompat::RoleInfo> out;
    for (const auto& u : data.users) {
      pgcompat::RoleInfo r;
      r.name = u.name;
      for (const auto& m : data.memberships) {
        if (m.member_kind != ast::PrincipalKind::kUser || m.member_id != u.id) continue;
        const auto role = std::find_if(data.roles.begin(), data.roles.end(),
                                       [&](const auto& x) { return x.id == m.role_id; });
        if (role != data.roles.end()) r.member_of.push_back(role->name);
      }
      out.push_back(std::move(r));
    }
    for (const auto& role : data.roles) {
      // A role named like a user (the account dba holds the role dba) is listed once.
      if (std::any_of(out.begin(), out.end(), [&](const auto& x) { return x.name == role.name; })) {
        continue;
      }
      pgcompat::RoleInfo r;
      r.name = role.name;
      r.can_login = false;
      out.push_back(std::move(r));
    }
    return out;
  }

 private:
  ServerContext& ctx_;
  pgcompat::SqliteCatalog inner_;
};

}  // namespace

std::unique_ptr<pgcompat::CatalogSource> make_catalog(ServerContext& ctx,
                                                      const vault::Session& session) {
  return std::make_unique<SessionCatalog>(ctx, session.user_name());
}

}  // namespace dbvault::server::session
