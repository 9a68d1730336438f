// VERIFY AUDIT LOG, CREATE AUDIT HOLD and DROP AUDIT HOLD (docs/sql-reference.md §10,
// docs/audit.md §6-7).
//
// All three are the compliance side's: AUDIT_VIEWER, and nobody else (a DBA or a vault admin
// is refused, sod_violation). A hold only keeps records from the retention purge, and dropping
// one only lets records already past their retention go, so the role that reads the log owns
// them. The log itself writes the hold's audit_hold record (with the actor), durably, before
// the statement answers; a verification that finds the chain broken answers XX001 and the log
// raises its CRITICAL alert.
#include "vault/vault_impl.h"

namespace dbvault::vault {
namespace {

AuditActor actor_of(const Session& s) {
  return {s.user_name(), s.info().client_ip, s.info().session_id};
}

Result<AuditHost*> host_for(VaultImpl& v, const Session& s, std::string_view statement) {
  DBV_RETURN_IF_ERROR(v.require_role(s, kRoleAuditViewer, statement));
  AuditHost* host = v.audit_host.load();
  if (host == nullptr) {
    return make_error(sqlstate::kFeatureNotSupported,
                      std::string(statement) + " is not available in this host");
  }
  return host;
}

}  // namespace

Result<StatementResult> VaultImpl::run(Session& s, const ast::VerifyAuditLog&) {
  constexpr std::string_view kStatement = "VERIFY AUDIT LOG";
  auto host = host_for(*this, s, kStatement);
  if (!host) return std::move(host).error();
  auto report = (*host)->verify();
  if (!report) return std::move(report).error();
  if (!report->ok) {
    Error e = make_error(sqlstate::kDataCorrupted, "audit log broken at seq " +
                                                       std::to_string(report->first_bad_seq) +
                                                       ": " + report->problem);
    e.detail = std::to_string(report->records) + " records verified before it";
    e.hint = "the log raised a CRITICAL alert; see docs/audit.md §10 \"Recovery\"";
    return e;
  }
  return StatementResult{std::string(kStatement),
                         result_columns(ast::Statement{ast::VerifyAuditLog{}}),
                         {{"ok", std::to_string(report->records), std::to_string(report->purged),
                           std::to_string(report->last_seq)}}};
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::CreateAuditHold& st) {
  constexpr std::string_view kStatement = "CREATE AUDIT HOLD";
  auto host = host_for(*this, s, kStatement);
  if (!host) return std::move(host).error();
  auto seq = (*host)->add_hold(st, actor_of(s));
  if (!seq) return std::move(seq).error();
  return StatementResult{std::string(kStatement), {}, {}};
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::DropAuditHold& st) {
  constexpr std::string_view kStatement = "DROP AUDIT HOLD";
  auto host = host_for(*this, s, kStatement);
  if (!host) return std::move(host).error();
  auto seq = (*host)->drop_hold(st, actor_of(s));
  if (!seq) return std::move(seq).error();
  return StatementResult{std::string(kStatement), {}, {}};
}

}  // namespace dbvault::vault
