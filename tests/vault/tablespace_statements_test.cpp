// CREATE / DROP TABLESPACE and the key rotations in the vault: only VAULT_ADMIN (a DBA is refused,
// audited as sod_violation, and the host is never asked), each recorded before the host acts, a
// host's failure recorded too and returned unchanged, and without a host the statements are 0A000.
#include <boost/test/unit_test.hpp>
#include <latch>
#include <thread>

#include "tests/vault/vault_fixture.h"

namespace dbvault::vault::test {
namespace {

struct RecordingHost final : TablespaceHost {
  Status create_tablespace(const ast::CreateTablespace& st) override {
    created.push_back(st.name);
    if (fail) return make_error(sqlstate::kDuplicateObject, "tablespace exists");
    return ok_status();
  }
  Status drop_tablespace(const ast::DropTablespace& st) override {
    dropped.push_back(st.name);
    return make_error(sqlstate::kObjectNotInPrerequisiteState, "tablespace is not empty");
  }
  bool tablespace_exists(std::string_view name) const override { return name == "full"; }
  Status rotate_tablespace_key(std::string_view name) override {
    rotated.emplace_back(name);
    return ok_status();
  }
  Status change_tablespace_cipher(std::string_view name, ast::Cipher cipher) override {
    rotated.push_back(std::string(name) +
                      (cipher == ast::Cipher::kAes256Gcm ? " to AES" : " to CHACHA"));
    return ok_status();
  }
  Status rotate_table_key(const ast::ObjectName& table) override {
    rotated.push_back("table " + table.schema + "." + table.name);
    return make_error(sqlstate::kFeatureNotSupported, "rotate the tablespace");
  }
  std::vector<std::string> created, dropped, rotated;
  bool fail = false;
};

struct HostFixture : VaultFixture {
  HostFixture() {
    cast();
    vault->set_tablespace_host(&host);
  }
  ~HostFixture() { vault->set_tablespace_host(nullptr); }
  std::size_t tablespace_events(std::string_view statement) const {
    std::size_t n = 0;
    for (const auto& e : sink.events()) {
      n +=
          e.type == audit::EventType::kPolicyChanged && e.detail.value("statement", "") == statement
              ? 1
              : 0;
    }
    return n;
  }
  // A SELECT of `schema.table` as the engine reports it.
  Status select(Session& s, std::string schema, std::string table) {
    ast::ObjectRef ref;
    ref.table = {std::move(schema), std::move(table)};
    auto id = vault->snapshot()->resolve_access_object(ref);
    Access a{ast::Command::kSelect, id.value_or(rules::kNoId)};
    return vault->check(s, std::span(&a, 1));
  }
  RecordingHost host;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(tablespace_statements, HostFixture)

BOOST_AUTO_TEST_CASE(only_a_vault_admin_creates_or_drops_a_tablespace) {
  Session dba = login("dba_alice");
  fails(dba, "CREATE TABLESPACE ts ENCRYPTION USING 'AES256'", "42501");
  fails(dba, "DROP TABLESPACE full", "42501");
  BOOST_TEST(host.created.empty());
  BOOST_TEST(host.dropped.empty());
  BOOST_TEST(count_events(audit::EventType::kSodViolation) >= 2u);
  Session admin = login("sec_admin");
  ok(admin, "CREATE TABLESPACE ts ENCRYPTION USING 'AES256'");
  BOOST_TEST(host.created == std::vector<std::string>{"ts"});
  BOOST_TEST(tablespace_events("CREATE TABLESPACE") == 1u);
}

BOOST_AUTO_TEST_CASE(a_host_failure_is_returned_and_recorded) {
  Session admin = login("sec_admin");
  BOOST_TEST(fails(admin, "DROP TABLESPACE full", "55000").message == "tablespace is not empty");
  BOOST_TEST(tablespace_events("DROP TABLESPACE") == 2u);  // the attempt, then its failure
  ok(admin, "DROP TABLESPACE IF EXISTS gone");  // absent: nothing asked, nothing recorded
  BOOST_TEST(host.dropped == std::vector<std::string>{"full"});
  host.fail = true;
  fails(admin, "CREATE TABLESPACE ts ENCRYPTION USING 'AES256'", "42710");
}

BOOST_AUTO_TEST_CASE(only_a_vault_admin_rotates_and_each_request_is_recorded_first) {
  Session dba = login("dba_alice");
  fails(dba, "ALTER TABLESPACE ts ROTATE ENCRYPTION KEY", "42501");
  fails(dba, "ALTER TABLE ts.t ROTATE ENCRYPTION KEY", "42501");
  fails(dba, "ALTER TABLESPACE ts ENABLE ENCRYPTION USING 'CHACHA20-POLY1305'", "42501");
  BOOST_TEST(host.rotated.empty());
  Session admin = login("sec_admin");
  ok(admin, "ALTER TABLESPACE ts ROTATE ENCRYPTION KEY");
  BOOST_TEST(tablespace_events("ALTER TABLESPACE ROTATE ENCRYPTION KEY") == 1u);
  fails(admin, "ALTER TABLE ts.t ROTATE ENCRYPTION KEY", "0A000");
  BOOST_TEST(host.rotated == (std::vector<std::string>{"ts", "table ts.t"}));
  BOOST_TEST(tablespace_events("ALTER TABLE ROTATE ENCRYPTION KEY") == 2u);  // request, failure
}

BOOST_AUTO_TEST_CASE(enable_encryption_asks_the_host_for_the_cipher_after_its_record) {
  Session dba = login("dba_alice");
  fails(dba, "ALTER TABLESPACE ts ENABLE ENCRYPTION USING 'CHACHA20-POLY1305'", "42501");
  BOOST_TEST(host.rotated.empty());
  BOOST_TEST(tablespace_events("ALTER TABLESPACE ENABLE ENCRYPTION") == 0u);
  Session admin = login("sec_admin");
  ok(admin, "ALTER TABLESPACE ts ENABLE ENCRYPTION USING 'CHACHA20-POLY1305'");
  ok(admin, "ALTER TABLESPACE ts ENABLE ENCRYPTION USING 'AES256'");
  BOOST_TEST(host.rotated == (std::vector<std::string>{"ts to CHACHA", "ts to AES"}));
  BOOST_TEST(tablespace_events("ALTER TABLESPACE ENABLE ENCRYPTION") == 2u);
  vault->set_tablespace_host(nullptr);
  fails(admin, "ALTER TABLESPACE ts ENABLE ENCRYPTION USING 'AES256'", "0A000");
}

BOOST_AUTO_TEST_CASE(a_realm_with_its_own_tablespace_takes_every_table_created_in_it) {
  Session dba = login("dba_alice");
  fails(dba, "CREATE REALM hr TABLESPACE hr_ts", "42501");
  BOOST_TEST(host.created.empty());
  Session admin = login("sec_admin");
  ok(admin, "CREATE REALM hr TABLESPACE \"HR_TS\" ENCRYPTION USING 'CHACHA20'");
  BOOST_TEST(host.created == std::vector<std::string>{"hr_ts"});  // folded, after the realm
  BOOST_TEST(tablespace_events("CREATE TABLESPACE") == 1u);
  BOOST_TEST(select(dba, "hr_ts", "salaries").ok());  // no such table yet: nothing to protect
  BOOST_REQUIRE(vault->register_table({"hr_ts", "salaries"}, {"amount"}, "dba_alice").ok());
  BOOST_TEST(vault->register_table({"", "other"}, {"x"}, "dba_alice").ok());
  const Status refused = select(dba, "hr_ts", "salaries");
  BOOST_TEST(!refused.ok());
  if (!refused.ok()) BOOST_TEST(std::string(refused.error().code.code()) == "42501");
  BOOST_TEST(select(dba, "", "other").ok());
}

BOOST_AUTO_TEST_CASE(a_realm_tablespace_name_must_be_free_and_a_failed_file_takes_the_realm_back) {
  Session admin = login("sec_admin");
  fails(admin, "CREATE REALM r1 TABLESPACE full", "42710");  // the host has it
  ok(admin, "CREATE REALM r2 TABLESPACE ts2");
  BOOST_TEST(fails(admin, "CREATE REALM r3 TABLESPACE ts2", "42710").message ==
             "tablespace ts2 belongs to realm r2");
  host.fail = true;
  fails(admin, "CREATE REALM r4 TABLESPACE ts4", "42710");
  host.fail = false;
  ok(admin, "CREATE REALM r1");  // neither failure left its realm behind
  ok(admin, "CREATE REALM r4");
  vault->set_tablespace_host(nullptr);
  fails(admin, "CREATE REALM r5 TABLESPACE ts5", "0A000");
}

// Two VAULT_ADMINs creating one realm name, or two realms with one tablespace, at the same
// moment: both pass the snapshot's check, one commits, the other gets 42710 as if it had come
// second (not the store's constraint failure), and the host makes one file.
BOOST_AUTO_TEST_CASE(concurrent_creates_of_one_name_one_wins_the_other_is_42710) {
  Session a = login("sec_admin");
  Session b = login("admin2");
  auto race = [&](const std::string& first, const std::string& second) {
    auto p1 = grammar::parse(first);
    auto p2 = grammar::parse(second);
    BOOST_TEST_REQUIRE((p1.ok() && p2.ok()));
    Result<StatementResult> r1 = make_error(sqlstate::kInternalError, "not run");
    Result<StatementResult> r2 = r1;
    std::latch start(2);
    std::thread t1([&] {
      start.arrive_and_wait();
      r1 = vault->execute(a, *p1);
    });
    std::thread t2([&] {
      start.arrive_and_wait();
      r2 = vault->execute(b, *p2);
    });
    t1.join();
    t2.join();
    BOOST_TEST_REQUIRE(r1.ok() != r2.ok(), first << " / " << second);
    const Error& lost = r1.ok() ? r2.error() : r1.error();
    BOOST_TEST(lost.code == sqlstate::kDuplicateObject, lost.code << ": " << lost.message);
  };
  for (int i = 0; i < 15; ++i) {
    const std::string n = std::to_string(i);
    race("CREATE REALM race" + n + " REQUIRE VAULT PASSWORD 'pw-race-one'",
         "CREATE REALM race" + n + " REQUIRE VAULT PASSWORD 'pw-race-two'");
    race("CREATE REALM ra" + n + " REQUIRE VAULT PASSWORD 'pw-a' TABLESPACE tsr" + n,
         "CREATE REALM rb" + n + " REQUIRE VAULT PASSWORD 'pw-b' TABLESPACE tsr" + n);
  }
  BOOST_TEST(host.created.size() == 15u);
}

BOOST_AUTO_TEST_CASE(without_a_host_the_statements_are_not_supported) {
  vault->set_tablespace_host(nullptr);
  Session admin = login("sec_admin");
  fails(admin, "CREATE TABLESPACE ts ENCRYPTION USING 'AES256'", "0A000");
  fails(admin, "DROP TABLESPACE ts", "0A000");
  fails(admin, "ALTER TABLESPACE ts ROTATE ENCRYPTION KEY", "0A000");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::vault::test
