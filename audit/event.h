// The audit event model: event types, what a caller reports (Event), what the log stores
// (Record), and the canonical JSON form the hash chain covers (docs/audit.md §1–2).
//
// An Event never carries a password, token, key or protected value: validate_event() refuses
// detail keys that name secrets and normalise_event() strips the literals of query text.
// Thread-safety: value types and pure functions.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace dbvault::audit {

enum class EventType : std::uint8_t {
  kVaultUnlock,
  kVaultUnlockFailed,
  kKeyAccess,
  kRealmModified,
  kCommandRuleViolation,
  kDataExport,
  kSodViolation,
  kLogin,
  kLoginFailed,
  kPolicyChanged,
  kAuditPurge,
  kAuditHold,
  kEmergencyAccess,
  kLogout,       // a session ended (server)
  kRealmAccess,  // a statement read or wrote realm-protected objects (server)
  kAuditAnchor,  // written by the log only: genesis, policy versions, accepted rollbacks
};

// Every type, in declaration order.
const std::vector<EventType>& all_event_types();
// "vault_unlock", ...: the stored names.
std::string_view event_type_name(EventType type);
// Inverse of event_type_name. 22023 for an unknown name.
Result<EventType> parse_event_type(std::string_view name);

enum class Severity : std::uint8_t { kInfo, kWarning, kCritical };
std::string_view severity_name(Severity s);  // "INFO", "WARNING", "CRITICAL"
Result<Severity> parse_severity(std::string_view name);
Severity default_severity(EventType type);

enum class Outcome : std::uint8_t { kSuccess, kFailure, kDenied };
std::string_view outcome_name(Outcome o);  // "SUCCESS", "FAILURE", "DENIED"
Result<Outcome> parse_outcome(std::string_view name);

using Timestamp = std::chrono::sys_seconds;
using ChainHash = std::array<std::uint8_t, 32>;

// What a caller reports. Empty strings are stored as null.
struct Event {
  EventType type = EventType::kLogin;
  std::optional<Severity> severity;  // default_severity(type) when unset
  std::string user;
  std::string realm;
  std::string ip_address;
  std::string session_id;
  Outcome result = Outcome::kSuccess;
  std::string vault_password_id;  // the password's id, never the password
  std::optional<Timestamp> expires_at;
  // Type-specific fields: a flat object of string / integer / boolean / null values.
  nlohmann::json detail = nlohmann::json::object();

  bool operator==(const Event&) const = default;
};

// A stored event: the Event plus the fields the log assigns.
struct Record {
  std::uint64_t seq = 0;
  std::string event_id;
  Timestamp timestamp{};
  Event event;  // severity always set
  std::string retention_class;
  Timestamp retain_until{};
  ChainHash prev_hash{};
  ChainHash hash{};

  bool operator==(const Record&) const = default;
};

// 22023 unless the event is storable: text fields ≤ 256 bytes (detail strings ≤ 4096,
// ≤ 32 detail keys of [a-z0-9_]{1,64}), detail flat, no detail key naming a secret
// (password, token, key, ...; see docs/audit.md §1), emergency_access with a valid `stage`.
Status validate_event(const Event& event);

// Makes an event storable in a canonical way: invalid UTF-8 replaced by U+FFFD, severity set,
// literals of the `query` and `statement` detail values replaced by '?'.
Event normalise_event(Event event);

// The canonical JSON of `record` without `hash` (docs/audit.md §2). Deterministic.
std::string canonical_json(const Record& record);
// The canonical JSON with "hash" inserted in key order: one JSONL export line (no newline).
std::string export_json(const Record& record);
// Parses canonical_json() or export_json() output. XX001 when malformed. `hash` is taken from
// the text if present, else left zero.
Result<Record> parse_record_json(std::string_view json);

std::string hash_hex(const ChainHash& hash);
Result<ChainHash> parse_hash_hex(std::string_view hex);
std::string format_time(Timestamp t);                 // RFC 3339 UTC, seconds
Result<Timestamp> parse_time(std::string_view text);  // inverse of format_time (22007)

}  // namespace dbvault::audit
