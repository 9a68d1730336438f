#include "tests/audit/test_util.h"

#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>

#include "crypto/env_provider.h"
#include "grammar/timestamp.h"

namespace dbvault::audit::test {

AuditKeys test_keys(int variant) {
  crypto::SecretBytes tek(32);
  for (std::size_t i = 0; i < 32; ++i)
    tek.data()[i] = static_cast<std::uint8_t>(i * 7 + 1 + variant);
  auto keys = AuditKeys::derive(tek, 1);
  BOOST_REQUIRE(keys.ok());
  return std::move(*keys);
}

TimePoint test_start() {
  auto t = grammar::parse_timestamp("2025-10-11T04:30:00Z");
  return TimePoint(std::chrono::duration_cast<std::chrono::microseconds>(t->time_since_epoch()));
}

Event sample_event(EventType type, int n) {
  Event e;
  e.type = type;
  e.user = "user_" + std::to_string(n);
  e.realm = "realm_" + std::to_string(n % 3);
  e.ip_address = "10.0.5." + std::to_string(n % 250);
  e.session_id = "sess_" + std::to_string(n);
  e.result = Outcome::kSuccess;
  switch (type) {
    case EventType::kVaultUnlock:
      e.vault_password_id = "vp_temp_" + std::to_string(n);
      e.expires_at = std::chrono::floor<std::chrono::seconds>(test_start()) + std::chrono::hours(2);
      break;
    case EventType::kVaultUnlockFailed:
    case EventType::kLoginFailed:
      e.result = Outcome::kFailure;
      e.detail = {{"attempts", 3}, {"lockout", false}};
      break;
    case EventType::kKeyAccess:
      e.detail = {{"key_id", "tablespace:users/v1"}, {"operation", "release"}};
      break;
    case EventType::kRealmModified:
      e.detail = {{"action", "add"}, {"object", "main.users"}};
      break;
    case EventType::kCommandRuleViolation:
      e.result = Outcome::kDenied;
      e.detail = {{"rule", "no_drop_pii"}, {"query", "DELETE FROM users WHERE id = 42"}};
      break;
    case EventType::kDataExport:
      e.detail = {{"table", "main.users"}, {"rows", 1000}, {"destination", "s3-bucket"}};
      break;
    case EventType::kSodViolation:
      e.result = Outcome::kDenied;
      e.detail = {{"role", "dba"}, {"command", "GRANT VAULT PASSWORD"}};
      break;
    case EventType::kLogin:
      e.detail = {{"auth_method", "scram-sha-256"}, {"program_name", "psql"}};
      break;
    case EventType::kPolicyChanged:
      e.detail = {{"statement", "CREATE REALM pii"}, {"object", "pii"}};
      break;
    case EventType::kAuditPurge:
      e.detail = {{"purged", 0}};
      break;
    case EventType::kAuditHold:
      e.detail = {{"action", "create"}, {"hold", "h"}};
      break;
    case EventType::kAuditAnchor:
      e.detail = {{"action", "policy_version"}, {"policy_version", n}};
      break;
    case EventType::kEmergencyAccess:
      e.detail = {{"stage", "request"},
                  {"request_id", "er_" + std::to_string(n)},
                  {"reason", "Production outage - ticket INC-1"},
                  {"duration_s", 3600}};
      break;
    case EventType::kLogout:
      break;
    case EventType::kRealmAccess:
      e.detail = {{"realms", "pii"}, {"objects", "main.users"}, {"commands", "SELECT"}};
      break;
  }
  return e;
}

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

std::vector<FrameLoc> frames_of(const std::vector<std::uint8_t>& bytes) {
  std::vector<FrameLoc> out;
  std::size_t off = 64;
  while (off + 24 <= bytes.size()) {
    std::uint32_t len;
    std::uint64_t seq;
    std::memcpy(&len, bytes.data() + off, 4);
    std::memcpy(&seq, bytes.data() + off + 8, 8);
    if (len == 0) break;
    out.push_back({off, 24 + len, seq});
    off += 24 + len;
  }
  return out;
}

std::vector<std::filesystem::path> segment_files(const std::filesystem::path& audit_dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(audit_dir)) {
    const auto name = e.path().filename().string();
    if (name.starts_with("seg-") && name.ends_with(".log")) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::unique_ptr<Log> open_data_dir_log(const std::filesystem::path& data_dir, const Clock& clock,
                                       bool create) {
  auto mek = crypto::open_env_provider();
  BOOST_REQUIRE(mek.ok());
  auto store = crypto::TekStore::open(
      data_dir / "keys", std::shared_ptr<crypto::MasterKeyProvider>(std::move(*mek)), clock);
  BOOST_REQUIRE(store.ok());
  auto keys = load_audit_keys(**store, create);
  BOOST_REQUIRE(keys.ok());
  LogOptions o;
  o.dir = data_dir / "audit";
  o.clock = &clock;
  o.create_if_missing = create;
  auto log = Log::open(o, std::move(*keys));
  BOOST_REQUIRE_MESSAGE(log.ok(), (log.ok() ? std::string() : log.error().message));
  return std::move(*log);
}

std::vector<Record> all_records(const Log& log) {
  std::vector<Record> out;
  auto st = log.scan({}, [&](const Record& r) {
    out.push_back(r);
    return true;
  });
  BOOST_REQUIRE_MESSAGE(st.ok(), (st.ok() ? std::string() : st.error().message));
  return out;
}

LogFixture::LogFixture() {
  LogOptions o = options();
  o.create_if_missing = true;
  auto opened = Log::open(o, test_keys());
  BOOST_REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? std::string() : opened.error().message));
  log = std::move(*opened);
}
LogFixture::~LogFixture() { log.reset(); }

LogOptions LogFixture::options() const {
  LogOptions o;
  o.dir = tmp.path() / "audit";
  o.clock = &clock;
  o.segment_bytes = 64 << 10;
  return o;
}

void LogFixture::reopen() {
  log.reset();
  auto opened = Log::open(options(), test_keys());
  BOOST_REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? std::string() : opened.error().message));
  log = std::move(*opened);
}

}  // namespace dbvault::audit::test
