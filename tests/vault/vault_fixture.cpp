#include "tests/vault/vault_fixture.h"

#include <boost/test/unit_test.hpp>
#include <cstdlib>

namespace dbvault::vault::test {

TimePoint monday_noon() {
  using namespace std::chrono;
  const sys_days day = year{2025} / October / 13;
  return time_point_cast<microseconds>(day + hours{12});
}

VaultFixture::VaultFixture() { open(); }

VaultFixture::~VaultFixture() { vault.reset(); }  // before the directory goes

Options VaultFixture::options() {
  Options o;
  o.policy_path = dir / "policy.db";
  o.audit = &sink;
  o.clock = &clock;
  std::vector<std::uint8_t> root(32, 0x42);
  o.token_root_key = crypto::SecretBytes::copy_of(root);
  o.argon2.memory_kib = 64;
  o.argon2.iterations = 1;
  o.scram_iterations = 64;
  o.bootstrap.dba = {"dba_boot", SecretString("Bootstrap-Dba-1")};
  o.bootstrap.secadmin = {"sec_admin", SecretString("Bootstrap-Sec-1")};
  o.bootstrap.auditor = {"carol", SecretString("Bootstrap-Aud-1")};
  o.access_resolver = access_resolver;
  return o;
}

void VaultFixture::open() {
  auto v = Vault::open(options());
  BOOST_TEST_REQUIRE(v.ok(), "open: " << (v.ok() ? "" : v.error().message));
  vault = std::move(v).value();
}

void VaultFixture::reopen() {
  vault.reset();
  open();
}

Session VaultFixture::login(std::string_view user, std::string program) {
  SessionInfo info;
  info.session_id = "sess_" + std::string(user);
  info.program_name = std::move(program);
  info.client_ip = "10.0.5.42";
  info.auth_method = "scram-sha-256";
  info.tls = true;
  auto s = vault->login(user, info);
  BOOST_TEST_REQUIRE(s.ok(), "login " << user << ": " << (s.ok() ? "" : s.error().message));
  return std::move(s).value();
}

Result<StatementResult> VaultFixture::run(Session& s, std::string_view sql) {
  auto st = grammar::parse(sql);
  BOOST_TEST_REQUIRE(st.ok(), "parse: " << (st.ok() ? "" : st.error().message) << " in " << sql);
  return vault->execute(s, *st);
}

StatementResult VaultFixture::ok(Session& s, std::string_view sql) {
  auto r = run(s, sql);
  BOOST_TEST_REQUIRE(
      r.ok(), sql << " as " << s.user_name() << ": "
                  << (r.ok() ? "" : std::string(r.error().code.code()) + " " + r.error().message));
  return std::move(r).value();
}

Error VaultFixture::fails(Session& s, std::string_view sql, std::string_view code) {
  auto r = run(s, sql);
  BOOST_TEST_REQUIRE(!r.ok(), sql << " as " << s.user_name() << " should fail with " << code);
  BOOST_TEST(r.error().code.code() == code, sql << ": " << r.error().message);
  return r.error();
}

Status VaultFixture::access(Session& s, ast::Command command, std::string_view object) {
  ast::ObjectRef ref;
  const auto dot = object.find('.');
  ref.table.name = std::string(object.substr(0, dot));
  if (dot != std::string_view::npos) ref.column = std::string(object.substr(dot + 1));
  auto id = vault->snapshot()->resolve_access_object(ref);
  Access a{command, id.value_or(rules::kNoId)};
  return vault->check(s, std::span(&a, 1));
}

void VaultFixture::cast() {
  Session boot = login("dba_boot");
  for (const char* u : {"admin2", "dba_alice", "bob", "acct"}) {
    ok(boot, std::string("CREATE USER ") + u + " PASSWORD 'pw-" + u + "'");
  }
  ok(boot, "GRANT DBA TO dba_alice");
  ok(boot, "GRANT ACCOUNT_MANAGER TO acct");
  Session admin = login("sec_admin");
  ok(admin, "GRANT VAULT_ADMIN TO admin2");
  BOOST_TEST_REQUIRE(vault->register_table({"", "users"}, {"id", "name", "ssn"}, "bob").ok());
  BOOST_TEST_REQUIRE(
      vault->register_table({"", "financial_records"}, {"id", "amount"}, "bob").ok());
  Session dba = login("dba_alice");
  ok(dba, "GRANT SELECT ON users TO bob");
  ok(dba, "GRANT SELECT ON financial_records TO bob");
}

std::string VaultFixture::events_json() const {
  std::string all;
  for (const auto& e : sink.events()) {
    audit::Record r;
    r.event = audit::normalise_event(e);
    all += audit::canonical_json(r);
    all += '\n';
  }
  return all;
}

std::size_t VaultFixture::count_events(audit::EventType type) const {
  std::size_t n = 0;
  for (const auto& e : sink.events()) n += e.type == type ? 1 : 0;
  return n;
}

}  // namespace dbvault::vault::test
