// BACKUP DATABASE TO 'path' ENCRYPTED WITH KEY 'id' and RESTORE DATABASE FROM 'path' DECRYPT
// WITH KEY 'id' VAULT PASSWORD 'pw' (docs/sql-reference.md §9.10-9.11, docs/vault.md "Backup
// and restore").
//
// A backup is a copy of every realm's data, so neither side of the duties may take one alone:
// the session must hold VAULT_ADMIN (the vault side: it holds the keys' custody) *and* be a
// direct member of the role BACKUP_OPERATOR, which only a DBA or ACCOUNT_MANAGER (the account
// side) grants, to users only. The vault checks both, records the request durably as
// data_export before the host touches anything (no record, no backup: 58000), and records the
// outcome after — with the file, never the restore password.
#include "vault/vault_impl.h"

namespace dbvault::vault {
namespace {

constexpr const char* kBackupRole = "backup_operator";
constexpr const char* kBackup = "BACKUP DATABASE";
constexpr const char* kRestore = "RESTORE DATABASE";

Status require_backup_right(VaultImpl& v, const Session& s, const std::string& statement) {
  DBV_RETURN_IF_ERROR(v.require_role(s, kRoleVaultAdmin, statement));
  auto sn = v.snap();
  const auto role = sn->find_role(kBackupRole);
  bool held = false;
  for (const auto& m : sn->data().memberships) {
    held = held || (role && m.role_id == *role && m.member_kind == ast::PrincipalKind::kUser &&
                    m.member_id == s.user_id());
  }
  if (held) return ok_status();
  return sod_refusal(v, s, statement, "backup_right",
                     statement +
                         " requires VAULT_ADMIN together with the BACKUP_OPERATOR role, which a "
                         "DBA or ACCOUNT_MANAGER grants (GRANT backup_operator TO " +
                         s.user_name() + "): neither side alone may copy every realm's data");
}

BackupActor actor_of(const Session& s) {
  return {s.user_name(), s.info().client_ip, s.info().session_id};
}

// The request record (durable, before anything happens) and the outcome record after it, as
// exec_keys.cpp does for a master key rotation. Returns the outcome unless its record failed.
template <typename Outcome, typename Run>
Result<Outcome> recorded(VaultImpl& v, const Session& s, const std::string& statement,
                         nlohmann::json detail, Run&& run,
                         const std::function<void(const Outcome&, nlohmann::json&)>& describe) {
  audit::Event request = v.event(audit::EventType::kDataExport, s);
  request.detail = detail;
  request.detail["statement"] = statement;
  request.detail["phase"] = "requested";
  DBV_RETURN_IF_ERROR(v.audit(request, /*durable=*/true));
  Result<Outcome> done = run();
  audit::Event outcome = v.event(audit::EventType::kDataExport, s);
  outcome.detail = std::move(detail);
  outcome.detail["statement"] = statement;
  if (done) {
    outcome.detail["phase"] = "completed";
    describe(*done, outcome.detail);
  } else {
    outcome.result = audit::Outcome::kFailure;
    outcome.detail["phase"] = "failed";
    outcome.detail["sqlstate"] = std::string(done.error().code.code());
    outcome.detail["error"] = done.error().message;
  }
  const Status logged = v.audit(outcome, /*durable=*/true);
  if (!done) return std::move(done).error();
  if (!logged) {
    return make_error(sqlstate::kSystemError, statement +
                                                  " completed, but its completion could not be "
                                                  "audited: " +
                                                  logged.error().message);
  }
  return done;
}

}  // namespace

bool is_backup_right(const PolicySnapshot& snap, std::uint32_t role) {
  const auto id = snap.find_role(kBackupRole);
  return id && *id == role;
}

Status check_backup_right_grant(VaultImpl& v, const Session& s, bool grant, bool to_user,
                                bool to_self, const std::string& statement) {
  // Taking the right away is always safe, so the vault side may do it too.
  if (!grant && v.snap()->has_role(s.user_id(), kRoleVaultAdmin)) return ok_status();
  DBV_RETURN_IF_ERROR(require_either(v, s, statement + " BACKUP_OPERATOR"));
  if (!grant) return ok_status();
  if (!to_user) {
    return sod_refusal(v, s, statement, "backup_right_to_role",
                       statement +
                           ": BACKUP_OPERATOR is granted to users only (a role holding it would "
                           "let whoever manages that role's members hand the right on)");
  }
  if (to_self) {
    return sod_refusal(v, s, statement, "self_grant",
                       statement + ": nobody may grant a role to themselves");
  }
  return ok_status();
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::BackupDatabase& st) {
  DBV_RETURN_IF_ERROR(require_backup_right(*this, s, kBackup));
  BackupHost* host = backup_host.load();
  if (host == nullptr) {
    return make_error(sqlstate::kFeatureNotSupported,
                      std::string(kBackup) + " is not available in this host");
  }
  nlohmann::json detail{{"path", st.path}, {"key_id", st.key_id}};
  auto done = recorded<BackupOutcome>(
      *this, s, kBackup, detail,
      [&]() -> Result<BackupOutcome> {
        // No policy version commits while the stores are copied (BackupHost's contract).
        std::lock_guard lock(change_mu);
        return host->backup(st, actor_of(s));
      },
      [](const BackupOutcome& o, nlohmann::json& d) {
        d["backup_id"] = o.backup_id;
        d["files"] = o.files;
        d["bytes"] = o.bytes;
      });
  if (!done) return std::move(done).error();
  return StatementResult{
      kBackup,
      {"path", "backup_id", "files", "bytes", "restore_password"},
      {{done->path, done->backup_id, std::to_string(done->files), std::to_string(done->bytes),
        std::string(done->restore_password.reveal())}}};
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::RestoreDatabase& st) {
  DBV_RETURN_IF_ERROR(require_backup_right(*this, s, kRestore));
  BackupHost* host = backup_host.load();
  if (host == nullptr) {
    return make_error(sqlstate::kFeatureNotSupported,
                      std::string(kRestore) + " is not available in this host");
  }
  nlohmann::json detail{{"path", st.path}, {"key_id", st.key_id}, {"operation", "restore"}};
  auto done = recorded<RestoreOutcome>(
      *this, s, kRestore, detail, [&]() { return host->restore(st, actor_of(s)); },
      [](const RestoreOutcome& o, nlohmann::json& d) {
        d["data_dir"] = o.data_dir;
        d["backup_id"] = o.backup_id;
        d["files"] = o.files;
        d["audit_records"] = o.audit_records;
      });
  if (!done) return std::move(done).error();
  return StatementResult{kRestore,
                         {"data_dir", "backup_id", "files", "bytes", "audit_records"},
                         {{done->data_dir, done->backup_id, std::to_string(done->files),
                           std::to_string(done->bytes), std::to_string(done->audit_records)}}};
}

}  // namespace dbvault::vault
