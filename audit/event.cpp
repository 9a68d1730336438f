#include "audit/event.h"

#include <algorithm>
#include <cstdio>

#include "audit/query_normalizer.h"
#include "grammar/timestamp.h"
#include "grammar/utf8.h"

namespace dbvault::audit {
namespace {

struct TypeInfo {
  EventType type;
  std::string_view name;
  Severity severity;
};

constexpr TypeInfo kTypes[] = {
    {EventType::kVaultUnlock, "vault_unlock", Severity::kInfo},
    {EventType::kVaultUnlockFailed, "vault_unlock_failed", Severity::kWarning},
    {EventType::kKeyAccess, "key_access", Severity::kInfo},
    {EventType::kRealmModified, "realm_modified", Severity::kInfo},
    {EventType::kCommandRuleViolation, "command_rule_violation", Severity::kWarning},
    {EventType::kDataExport, "data_export", Severity::kInfo},
    {EventType::kSodViolation, "sod_violation", Severity::kWarning},
    {EventType::kLogin, "login", Severity::kInfo},
    {EventType::kLoginFailed, "login_failed", Severity::kWarning},
    {EventType::kPolicyChanged, "policy_changed", Severity::kInfo},
    {EventType::kAuditPurge, "audit_purge", Severity::kInfo},
    {EventType::kAuditHold, "audit_hold", Severity::kInfo},
    {EventType::kEmergencyAccess, "emergency_access", Severity::kCritical},
    {EventType::kLogout, "logout", Severity::kInfo},
    {EventType::kRealmAccess, "realm_access", Severity::kInfo},
    {EventType::kAuditAnchor, "audit_anchor", Severity::kInfo},
};

constexpr std::size_t kMaxField = 256;
constexpr std::size_t kMaxDetailString = 4096;
constexpr std::size_t kMaxDetailKeys = 32;

Error invalid(std::string message) {
  return make_error(sqlstate::kInvalidParameterValue, "audit event: " + std::move(message));
}
Error corrupt(std::string message) {
  return make_error(sqlstate::kDataCorrupted, "audit record: " + std::move(message));
}

bool names_secret(std::string_view key) {
  if (key.ends_with("_id")) return false;
  for (std::string_view word :
       {"password", "passwd", "secret", "token", "ciphertext", "plaintext", "private"}) {
    if (key.find(word) != std::string_view::npos) return true;
  }
  for (std::string_view exact : {"key", "pin", "pwd", "mek", "tek", "value"}) {
    if (key == exact) return true;
  }
  return key.ends_with("_key");
}

bool valid_detail_key(std::string_view key) {
  if (key.empty() || key.size() > 64) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string sanitize_utf8(std::string text) {
  std::size_t from = 0;
  while (true) {
    const std::size_t bad = grammar::find_invalid_utf8(std::string_view(text).substr(from));
    if (bad == std::string_view::npos) return text;
    text.replace(from + bad, 1, "\xEF\xBF\xBD");
    from += bad + 3;
  }
}

void append_escaped(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void append_text_or_null(std::string& out, std::string_view s) {
  if (s.empty()) {
    out += "null";
  } else {
    append_escaped(out, s);
  }
}

// Writes the record; `with_hash` inserts "hash" in key order (export form).
std::string serialize(const Record& r, bool with_hash) {
  const Event& e = r.event;
  std::string out;
  out.reserve(512);
  out += "{\"detail\":";
  out += e.detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out += ",\"event_id\":";
  append_escaped(out, r.event_id);
  out += ",\"event_type\":";
  append_escaped(out, event_type_name(e.type));
  out += ",\"expires_at\":";
  append_text_or_null(out, e.expires_at ? format_time(*e.expires_at) : std::string());
  if (with_hash) {
    out += ",\"hash\":";
    append_escaped(out, hash_hex(r.hash));
  }
  out += ",\"ip_address\":";
  append_text_or_null(out, e.ip_address);
  out += ",\"prev_hash\":";
  append_escaped(out, hash_hex(r.prev_hash));
  out += ",\"realm\":";
  append_text_or_null(out, e.realm);
  out += ",\"result\":";
  append_escaped(out, outcome_name(e.result));
  out += ",\"retain_until\":";
  append_escaped(out, format_time(r.retain_until));
  out += ",\"retention_class\":";
  append_escaped(out, r.retention_class);
  out += ",\"seq\":";
  out += std::to_string(r.seq);
  out += ",\"session_id\":";
  append_text_or_null(out, e.session_id);
  out += ",\"severity\":";
  append_escaped(out, severity_name(e.severity.value_or(default_severity(e.type))));
  out += ",\"timestamp\":";
  append_escaped(out, format_time(r.timestamp));
  out += ",\"user\":";
  append_text_or_null(out, e.user);
  out += ",\"vault_password_id\":";
  append_text_or_null(out, e.vault_password_id);
  out += '}';
  return out;
}

Result<std::string> get_text(const nlohmann::json& j, const char* key, bool nullable) {
  auto it = j.find(key);
  if (it == j.end()) return corrupt(std::string("missing ") + key);
  if (it->is_null() && nullable) return std::string();
  if (!it->is_string()) return corrupt(std::string("bad ") + key);
  return it->get<std::string>();
}

Result<Timestamp> get_time(const nlohmann::json& j, const char* key) {
  auto text = get_text(j, key, false);
  if (!text) return std::move(text).error();
  auto t = grammar::parse_timestamp(*text);
  if (!t) return corrupt(std::string("bad ") + key);
  return *t;
}

Status fill_event(const nlohmann::json& j, Event& e) {
  auto type = get_text(j, "event_type", false);
  if (!type) return std::move(type).error();
  auto parsed_type = parse_event_type(*type);
  if (!parsed_type) return corrupt("unknown event_type");
  e.type = *parsed_type;
  auto severity = get_text(j, "severity", false);
  if (!severity || !parse_severity(*severity)) return corrupt("bad severity");
  e.severity = *parse_severity(*severity);
  auto result = get_text(j, "result", false);
  if (!result || !parse_outcome(*result)) return corrupt("bad result");
  e.result = *parse_outcome(*result);
  std::string* texts[] = {&e.user, &e.realm, &e.ip_address, &e.session_id, &e.vault_password_id};
  const char* names[] = {"user", "realm", "ip_address", "session_id", "vault_password_id"};
  for (std::size_t i = 0; i < 5; ++i) {
    auto v = get_text(j, names[i], true);
    if (!v) return std::move(v).error();
    *texts[i] = std::move(*v);
  }
  auto expires = get_text(j, "expires_at", true);
  if (!expires) return std::move(expires).error();
  if (!expires->empty()) {
    auto t = grammar::parse_timestamp(*expires);
    if (!t) return corrupt("bad expires_at");
    e.expires_at = *t;
  }
  auto detail = j.find("detail");
  if (detail == j.end() || !detail->is_object()) return corrupt("bad detail");
  e.detail = *detail;
  return ok_status();
}

}  // namespace

const std::vector<EventType>& all_event_types() {
  static const std::vector<EventType> types = [] {
    std::vector<EventType> v;
    for (const auto& t : kTypes) v.push_back(t.type);
    return v;
  }();
  return types;
}

std::string_view event_type_name(EventType type) {
  return kTypes[static_cast<std::size_t>(type)].name;
}

Result<EventType> parse_event_type(std::string_view name) {
  for (const auto& t : kTypes) {
    if (t.name == name) return t.type;
  }
  return invalid("unknown event type");
}

Severity default_severity(EventType type) {
  return kTypes[static_cast<std::size_t>(type)].severity;
}

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "INFO";
    case Severity::kWarning:
      return "WARNING";
    case Severity::kCritical:
      return "CRITICAL";
  }
  return "INFO";
}

Result<Severity> parse_severity(std::string_view name) {
  for (Severity s : {Severity::kInfo, Severity::kWarning, Severity::kCritical}) {
    if (severity_name(s) == name) return s;
  }
  return invalid("unknown severity");
}

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kSuccess:
      return "SUCCESS";
    case Outcome::kFailure:
      return "FAILURE";
    case Outcome::kDenied:
      return "DENIED";
  }
  return "SUCCESS";
}

Result<Outcome> parse_outcome(std::string_view name) {
  for (Outcome o : {Outcome::kSuccess, Outcome::kFailure, Outcome::kDenied}) {
    if (outcome_name(o) == name) return o;
  }
  return invalid("unknown result");
}

Status validate_event(const Event& event) {
  for (const std::string* s : {&event.user, &event.realm, &event.ip_address, &event.session_id,
                               &event.vault_password_id}) {
    if (s->size() > kMaxField) return invalid("a field is longer than 256 bytes");
  }
  if (!event.detail.is_object()) return invalid("detail must be an object");
  if (event.detail.size() > kMaxDetailKeys) return invalid("detail has more than 32 keys");
  for (const auto& [key, value] : event.detail.items()) {
    if (!valid_detail_key(key)) return invalid("detail key must be [a-z0-9_]{1,64}");
    if (names_secret(key)) return invalid("detail key '" + key + "' names a secret");
    if (value.is_string()) {
      if (value.get_ref<const std::string&>().size() > kMaxDetailString) {
        return invalid("detail value longer than 4096 bytes");
      }
    } else if (!value.is_null() && !value.is_boolean() && !value.is_number_integer()) {
      return invalid("detail values must be strings, integers, booleans or null");
    }
  }
  if (event.type == EventType::kEmergencyAccess) {
    auto stage = event.detail.find("stage");
    static constexpr std::string_view kStages[] = {"request", "approval", "rejection", "review"};
    if (stage == event.detail.end() || !stage->is_string() ||
        std::find(std::begin(kStages), std::end(kStages), stage->get<std::string>()) ==
            std::end(kStages)) {
      return invalid("emergency_access needs detail.stage request|approval|rejection|review");
    }
  }
  return ok_status();
}

Event normalise_event(Event event) {
  if (!event.severity) event.severity = default_severity(event.type);
  for (std::string* s : {&event.user, &event.realm, &event.ip_address, &event.session_id,
                         &event.vault_password_id}) {
    *s = sanitize_utf8(std::move(*s));
  }
  if (!event.detail.is_object()) return event;
  nlohmann::json detail = nlohmann::json::object();
  for (auto& [key, value] : event.detail.items()) {
    nlohmann::json v = value;
    if (v.is_string()) {
      std::string text = sanitize_utf8(v.get<std::string>());
      if (key == "query" || key == "statement") text = strip_literals(text);
      v = std::move(text);
    }
    detail[sanitize_utf8(key)] = std::move(v);
  }
  event.detail = std::move(detail);
  return event;
}

std::string canonical_json(const Record& record) { return serialize(record, false); }
std::string export_json(const Record& record) { return serialize(record, true); }

Result<Record> parse_record_json(std::string_view json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return corrupt("not a JSON object");
  Record r;
  auto seq = j.find("seq");
  if (seq == j.end() || !seq->is_number_unsigned()) return corrupt("bad seq");
  r.seq = seq->get<std::uint64_t>();
  auto id = get_text(j, "event_id", false);
  if (!id) return std::move(id).error();
  r.event_id = std::move(*id);
  auto ts = get_time(j, "timestamp");
  if (!ts) return std::move(ts).error();
  r.timestamp = *ts;
  auto until = get_time(j, "retain_until");
  if (!until) return std::move(until).error();
  r.retain_until = *until;
  auto cls = get_text(j, "retention_class", false);
  if (!cls) return std::move(cls).error();
  r.retention_class = std::move(*cls);
  DBV_RETURN_IF_ERROR(fill_event(j, r.event));
  auto prev = get_text(j, "prev_hash", false);
  if (!prev || !parse_hash_hex(*prev)) return corrupt("bad prev_hash");
  r.prev_hash = *parse_hash_hex(*prev);
  if (j.contains("hash")) {
    auto h = get_text(j, "hash", false);
    if (!h || !parse_hash_hex(*h)) return corrupt("bad hash");
    r.hash = *parse_hash_hex(*h);
  }
  return r;
}

std::string hash_hex(const ChainHash& hash) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (auto b : hash) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

Result<ChainHash> parse_hash_hex(std::string_view hex) {
  if (hex.size() != 64) return corrupt("hash must be 64 hex characters");
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  ChainHash out{};
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return corrupt("hash must be lower-case hex");
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::string format_time(Timestamp t) { return grammar::format_timestamp(t); }

Result<Timestamp> parse_time(std::string_view text) {
  auto t = grammar::parse_timestamp(text);
  if (!t) return std::move(t).error();
  return Timestamp(*t);
}

}  // namespace dbvault::audit
