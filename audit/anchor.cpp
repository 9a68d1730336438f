#include "audit/anchor.h"

#include <charconv>
#include <vector>

#include "audit/log.h"

namespace dbvault::audit {
namespace {

Error rolled_back(std::string what) {
  return make_error(sqlstate::kSystemError,
                    "audit anchors disagree: " + std::move(what) +
                        ". The server refuses to start; after investigating, an operator may "
                        "accept this state with: dbvault audit recover --data-dir D "
                        "--accept-rollback (docs/audit.md §10)");
}

std::optional<std::uint64_t> to_u64(std::string_view s) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// The policy version an audit_anchor record names, if it names one.
std::optional<std::uint64_t> named_version(const Record& r) {
  if (r.event.type != EventType::kAuditAnchor) return std::nullopt;
  const auto it = r.event.detail.find("policy_version");
  if (it == r.event.detail.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<std::uint64_t>();
}

std::string at(const Record& r) { return " (audit seq " + std::to_string(r.seq) + ")"; }

// A store that never anchored: legitimate only while no policy version was ever recorded.
Status check_unanchored(const Log& log, const PolicyAnchor& policy) {
  if (policy.policy_version != 0) {
    return rolled_back("the policy store is at version " + std::to_string(policy.policy_version) +
                       " but holds no audit anchor (replaced, or edited outside dbvault)");
  }
  Status found;
  DBV_RETURN_IF_ERROR(log.scan({}, [&](const Record& r) {
    const auto v = named_version(r);
    if (!v || *v == 0) return true;
    found = rolled_back("the policy store is empty but the audit log records policy version " +
                        std::to_string(*v) + at(r) + ": the policy store was replaced or wiped");
    return false;
  }));
  return found;
}

}  // namespace

std::string encode_anchor(const Anchor& a) {
  return "v1:" + std::to_string(a.audit_seq) + ":" + hash_hex(a.audit_hash) + ":" +
         std::to_string(a.policy_version) + ":" + hash_hex(a.mac);
}

Result<Anchor> decode_anchor(std::string_view text) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const auto colon = text.find(':', start);
    parts.push_back(text.substr(start, colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  const auto bad = make_error(sqlstate::kDataCorrupted, "the stored audit anchor is malformed");
  if (parts.size() != 5 || parts[0] != "v1") return bad;
  const auto seq = to_u64(parts[1]);
  const auto version = to_u64(parts[3]);
  auto hash = parse_hash_hex(parts[2]);
  auto mac = parse_hash_hex(parts[4]);
  if (!seq || !version || !hash || !mac) return bad;
  return Anchor{*seq, *hash, *version, *mac};
}

Status check_anchors(const Log& log, const PolicyAnchor& policy) {
  if (!policy.anchor) return check_unanchored(log, policy);
  const Anchor& a = *policy.anchor;
  if (!log.anchor_authentic(a)) {
    return rolled_back(
        "the policy store's audit anchor does not authenticate (edited, or taken "
        "from another data directory)");
  }
  if (a.policy_version != policy.policy_version) {
    return rolled_back("the policy store is at version " + std::to_string(policy.policy_version) +
                       " but its audit anchor names version " + std::to_string(a.policy_version) +
                       " (the store was changed outside dbvault, or its anchor replayed)");
  }
  const std::uint64_t end = log.durable_seq();
  if (end < a.audit_seq) {
    return rolled_back("the policy store saw audit seq " + std::to_string(a.audit_seq) +
                       " but the audit log ends at seq " + std::to_string(end) +
                       ": the audit log was rolled back or truncated");
  }
  Status problem;
  bool first = true;
  DBV_RETURN_IF_ERROR(log.scan({a.audit_seq}, [&](const Record& r) {
    if (first) {
      first = false;
      if (r.seq != a.audit_seq || r.hash != a.audit_hash || named_version(r) != a.policy_version) {
        problem = rolled_back("audit seq " + std::to_string(a.audit_seq) +
                              " is not the record the policy store anchored (the audit log was "
                              "replaced or forked, or that record was purged)");
        return false;
      }
      return true;
    }
    const auto v = named_version(r);
    if (!v || *v == a.policy_version) return true;
    problem = rolled_back(
        "the audit log records policy version " + std::to_string(*v) + at(r) +
        " but the policy store is at version " + std::to_string(policy.policy_version) +
        ": the policy store was rolled back (or the server stopped between recording that "
        "change and committing it)");
    return false;
  }));
  if (first && problem.ok()) {
    problem = rolled_back("audit seq " + std::to_string(a.audit_seq) + " is not readable");
  }
  return problem;
}

}  // namespace dbvault::audit
