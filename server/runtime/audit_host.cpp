#include "server/runtime/audit_host.h"

namespace dbvault::server {
namespace {

audit::Actor to_actor(const vault::AuditActor& a) { return {a.user, a.ip_address, a.session_id}; }

class LogAuditHost final : public vault::AuditHost {
 public:
  explicit LogAuditHost(audit::Log& log) : log_(log) {}

  Result<vault::AuditVerification> verify() override {
    auto report = log_.verify();  // flushes first: every record acknowledged so far is checked
    if (!report) return std::move(report).error();
    return vault::AuditVerification{report->ok,       report->records,       report->purged,
                                    report->last_seq, report->first_bad_seq, report->problem};
  }

  Result<std::uint64_t> add_hold(const ast::CreateAuditHold& st,
                                 const vault::AuditActor& actor) override {
    return log_.add_hold({st.name, st.from, st.to, st.reason}, to_actor(actor));
  }

  Result<std::uint64_t> drop_hold(const ast::DropAuditHold& st,
                                  const vault::AuditActor& actor) override {
    return log_.drop_hold(st.name, to_actor(actor), st.if_exists);
  }

 private:
  audit::Log& log_;
};

}  // namespace

std::unique_ptr<vault::AuditHost> make_audit_host(audit::Log& log) {
  return std::make_unique<LogAuditHost>(log);
}

}  // namespace dbvault::server
