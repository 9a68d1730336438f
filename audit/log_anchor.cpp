// The Log's anchor records (audit/anchor.h): policy versions, accepted rollbacks, and the record
// of a tail accepted by `dbvault audit recover` (docs/audit.md §10).
#include <spdlog/spdlog.h>

#include "audit/chain.h"
#include "audit/log.h"
#include "audit/log_writer.h"

namespace dbvault::audit {
namespace {

constexpr std::string_view kAnchorLabel = "dbvault audit anchor v1";

Result<ChainHash> anchor_mac(const crypto::SecretBytes& key, const Anchor& a) {
  return internal::mark_mac(key, kAnchorLabel, a.audit_seq, a.audit_hash, a.policy_version);
}

Event anchor_event(std::string_view action) {
  Event e;
  e.type = EventType::kAuditAnchor;
  e.detail = {{"action", action}};
  return e;
}

}  // namespace

Result<Anchor> Log::append_anchor(Event event, std::uint64_t policy_version) {
  event.detail["policy_version"] = policy_version;
  auto seq = enqueue(std::move(event), true);
  if (!seq) return std::move(seq).error();
  Anchor anchor;
  anchor.audit_seq = *seq;
  anchor.policy_version = policy_version;
  bool found = false;
  DBV_RETURN_IF_ERROR(scan({*seq, *seq}, [&](const Record& r) {
    anchor.audit_hash = r.hash;
    found = true;
    return false;
  }));
  if (!found) {
    return make_error(sqlstate::kSystemError,
                      "audit anchor record " + std::to_string(*seq) + " cannot be read back");
  }
  auto mac = anchor_mac(anchor_key_, anchor);
  if (!mac) return std::move(mac).error();
  anchor.mac = *mac;
  return anchor;
}

Result<Anchor> Log::anchor_policy_version(std::uint64_t policy_version) {
  return append_anchor(anchor_event("policy_version"), policy_version);
}

Result<Anchor> Log::accept_rollback(const Actor& actor, const std::string& problem,
                                    std::uint64_t policy_version, const std::string& reason) {
  Event e = anchor_event("accept_rollback");
  e.user = actor.user;
  e.ip_address = actor.ip_address;
  e.session_id = actor.session_id;
  e.severity = Severity::kCritical;  // alerted: the anchors were overridden by hand
  e.detail["problem"] = problem;
  e.detail["reason"] = reason;
  return append_anchor(std::move(e), policy_version);
}

bool Log::anchor_authentic(const Anchor& anchor) const {
  auto mac = anchor_mac(anchor_key_, anchor);
  return mac && crypto::equal_constant_time(*mac, anchor.mac);
}

Status Log::record_accepted_tail() {
  const auto& accepted = writer_->accepted();
  if (!accepted) return ok_status();
  Event e = anchor_event("accept_tail");
  e.severity = Severity::kCritical;
  e.detail["problem"] = *accepted;
  auto seq = enqueue(std::move(e), true);
  if (!seq) return std::move(seq).error();
  // Only now that the acceptance is on the chain does HEAD stop showing the damage.
  DBV_RETURN_IF_ERROR(writer_->rewrite_head());
  accepted_tail_ = accepted;
  spdlog::warn("audit: accepted (seq {}): {}", *seq, *accepted);
  return ok_status();
}

}  // namespace dbvault::audit
