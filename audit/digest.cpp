#include "audit/digest.h"

#include <nlohmann/json.hpp>

#include "audit/chain.h"

namespace dbvault::audit {
namespace {

constexpr std::string_view kLabel = "dbvault audit digest v1";

Result<ChainHash> digest_mac(const AuditKeys& keys, const Digest& d) {
  return internal::mark_mac(keys.digest_key, kLabel, d.seq, d.hash,
                            static_cast<std::uint64_t>(d.time.time_since_epoch().count()));
}

Error bad(std::string what) {
  return make_error(sqlstate::kInvalidParameterValue, "not an audit digest: " + std::move(what));
}

}  // namespace

Result<Digest> make_digest(const AuditKeys& keys, std::uint64_t seq, const ChainHash& hash,
                           Timestamp time) {
  Digest d{seq, hash, time, {}};
  auto mac = digest_mac(keys, d);
  if (!mac) return std::move(mac).error();
  d.mac = *mac;
  return d;
}

bool digest_authentic(const AuditKeys& keys, const Digest& digest) {
  auto mac = digest_mac(keys, digest);
  return mac && crypto::equal_constant_time(*mac, digest.mac);
}

std::string format_digest(const Digest& d) {
  // Written by hand so the key order is fixed and the line reads the same everywhere.
  return "{\"dbvault_audit_digest\":1,\"seq\":" + std::to_string(d.seq) + ",\"hash\":\"" +
         hash_hex(d.hash) + "\",\"time\":\"" + format_time(d.time) + "\",\"mac\":\"" +
         hash_hex(d.mac) + "\"}";
}

Result<Digest> parse_digest(std::string_view line) {
  const auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  if (j.value("dbvault_audit_digest", 0) != 1) return bad("no \"dbvault_audit_digest\":1");
  const auto seq = j.find("seq");
  if (seq == j.end() || !seq->is_number_unsigned()) return bad("no seq");
  Digest d;
  d.seq = seq->get<std::uint64_t>();
  auto hash = parse_hash_hex(j.value("hash", ""));
  auto mac = parse_hash_hex(j.value("mac", ""));
  auto time = parse_time(j.value("time", ""));
  if (!hash || !mac || !time) return bad("hash, mac or time malformed");
  d.hash = *hash;
  d.mac = *mac;
  d.time = *time;
  return d;
}

}  // namespace dbvault::audit
