// ALTER TABLE ... SET MASKING / DROP MASKING (docs/encryption.md, "Masking";
// docs/sql-reference.md §9.9). Who: VAULT_ADMIN only. A mask protects data from the people
// who administer the database, so the DBA (who could otherwise drop the mask and read the
// column) may neither set nor drop one; the change is a policy change, recorded durably
// (policy_changed) before it commits.
#include "vault/masking_policy.h"
#include "vault/vault_impl.h"

namespace dbvault::vault {
namespace {

struct MaskTarget {
  std::string schema, table, column;
  std::optional<std::uint32_t> role;  // nullopt: every session
  std::string object() const { return schema + "." + table + "." + column; }
};

// The stored form of the statement's target; 42704 for an unknown role, 22023 for a TEMP
// table (a session's own, gone with it: nothing for a policy to name).
Result<MaskTarget> target_of(const PolicySnapshot& snap, const ast::ObjectName& table,
                             std::string_view column, const std::optional<std::string>& role) {
  MaskTarget t{fold_name(store::schema_of(table)), fold_name(table.name), fold_name(column), {}};
  if (t.schema == "temp") {
    return make_error(sqlstate::kInvalidParameterValue,
                      "masking policies name permanent tables, not TEMP ones");
  }
  if (role) {
    auto id = snap.find_role(*role);
    if (!id) return make_error(sqlstate::kUndefinedObject, "role " + *role + " does not exist");
    t.role = *id;
  }
  return t;
}

audit::Event masking_event(const VaultImpl& v, const Session& s, std::string_view statement,
                           const MaskTarget& t, const std::optional<std::string>& role) {
  audit::Event e = policy_event(v, s, statement, t.object());
  e.detail["role"] = role ? *role : std::string("(every session)");
  return e;
}

constexpr std::string_view kSameTarget =
    "schema_name = ? AND table_name = ? AND column_name = ? AND COALESCE(role_id, 0) = ?";

}  // namespace

Status refuse_masked_role(PolicyStore::Db& db, std::uint32_t role, std::string_view name) {
  auto q = db.prepare(
      "SELECT schema_name || '.' || table_name || '.' || column_name FROM masking_policies "
      "WHERE role_id = ? ORDER BY id");
  if (!q) return std::move(q).error();
  q->bind_all(static_cast<std::int64_t>(role));
  std::string columns;
  for (;;) {
    auto row = q->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    columns += (columns.empty() ? "" : ", ") + q->text(0);
  }
  if (columns.empty()) return ok_status();
  return make_error(sqlstate::kDependentObjectsStillExist,
                    "cannot drop role " + std::string(name) +
                        " because masking policies name it (" + columns +
                        "); a VAULT_ADMIN drops them first");
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::SetColumnMasking& st) {
  DBV_RETURN_IF_ERROR(require_role(s, kRoleVaultAdmin, "SET MASKING"));
  auto t = target_of(*snap(), st.table, st.column, st.for_role);
  if (!t) return std::move(t).error();
  audit::Event e = masking_event(*this, s, "SET MASKING", *t, st.for_role);
  e.detail["mode"] = std::string(masking_mode_name(st.mode));
  return apply_change(
      "ALTER TABLE",
      [&](PolicyStore::Db& db) -> Status {
        const std::int64_t role = t->role.value_or(0);
        DBV_RETURN_IF_ERROR(db.run("DELETE FROM masking_policies WHERE " + std::string(kSameTarget),
                                   t->schema, t->table, t->column, role));
        return db.run(
            "INSERT INTO masking_policies (schema_name, table_name, column_name, role_id, mode) "
            "VALUES (?, ?, ?, NULLIF(?, 0), ?)",
            t->schema, t->table, t->column, role, static_cast<std::int64_t>(st.mode));
      },
      e);
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::DropColumnMasking& st) {
  DBV_RETURN_IF_ERROR(require_role(s, kRoleVaultAdmin, "DROP MASKING"));
  auto t = target_of(*snap(), st.table, st.column, st.for_role);
  if (!t) return std::move(t).error();
  return apply_change(
      "ALTER TABLE",
      [&](PolicyStore::Db& db) -> Status {
        DBV_RETURN_IF_ERROR(db.run("DELETE FROM masking_policies WHERE " + std::string(kSameTarget),
                                   t->schema, t->table, t->column,
                                   static_cast<std::int64_t>(t->role.value_or(0))));
        if (db.changes() == 0) {
          return make_error(sqlstate::kUndefinedObject,
                            "no masking policy on " + t->object() +
                                (st.for_role ? " for role " + *st.for_role : std::string()));
        }
        return ok_status();
      },
      masking_event(*this, s, "DROP MASKING", *t, st.for_role));
}

}  // namespace dbvault::vault
