// BACKUP / RESTORE DATABASE in the vault (vault/exec_backup.cpp, docs/vault.md §3.1): they need
// VAULT_ADMIN *and* the backup right (direct membership of backup_operator), which only the
// account side grants, to users only, never to oneself; refusals are 42501 with sod_violation
// and never reach the host; each run is recorded as data_export before and after, without the
// restore password; with the audit log down nothing runs.
#include <boost/test/unit_test.hpp>

#include "tests/vault/vault_fixture.h"

namespace dbvault::vault::test {
namespace {

constexpr const char* kBackup = "BACKUP DATABASE TO '/backups/b.enc' ENCRYPTED WITH KEY 'mek-1'";
constexpr const char* kSecretPassword = "restore-pw-7f3a9c1e5b";

struct RecordingBackupHost final : BackupHost {
  Result<BackupOutcome> backup(const ast::BackupDatabase& st, const BackupActor& who) override {
    backups.push_back(st.path + " by " + who.user);
    if (fail) return make_error(sqlstate::kDuplicateObject, "'/backups/b.enc' already exists");
    return BackupOutcome{st.path, "00ff", 7, 4096, SecretString(kSecretPassword)};
  }
  Result<RestoreOutcome> restore(const ast::RestoreDatabase& st, const BackupActor&) override {
    restores.push_back(st.path);
    return RestoreOutcome{st.path + ".restored", "00ff", 7, 4096, 12};
  }
  std::vector<std::string> backups, restores;
  bool fail = false;
};

struct BackupFixture : VaultFixture {
  BackupFixture() {
    cast();
    vault->set_backup_host(&host);
    Session boot = login("dba_boot");
    ok(boot, "CREATE ROLE backup_operator");
  }
  ~BackupFixture() { vault->set_backup_host(nullptr); }
  std::vector<std::string> export_phases() const {
    std::vector<std::string> out;
    for (const auto& e : sink.events()) {
      if (e.type == audit::EventType::kDataExport) out.push_back(e.detail.value("phase", ""));
    }
    return out;
  }
  RecordingBackupHost host;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(backup_statements, BackupFixture)

BOOST_AUTO_TEST_CASE(neither_side_alone_may_back_up) {
  Session admin = login("sec_admin");
  Session dba = login("dba_boot");
  const auto before = count_events(audit::EventType::kSodViolation);
  Error e = fails(admin, kBackup, "42501");
  BOOST_TEST(e.message.find("BACKUP_OPERATOR") != std::string::npos);
  fails(dba, kBackup, "42501");
  fails(admin,
        "RESTORE DATABASE FROM '/backups/b.enc' DECRYPT WITH KEY 'mek-1' VAULT PASSWORD "
        "'x'",
        "42501");
  BOOST_TEST(host.backups.empty());
  BOOST_TEST(host.restores.empty());
  BOOST_TEST(count_events(audit::EventType::kSodViolation) >= before + 3);
  BOOST_TEST(export_phases().empty());
}

BOOST_AUTO_TEST_CASE(only_the_account_side_grants_the_right_to_users_not_to_itself) {
  Session admin = login("sec_admin");
  Session boot = login("dba_boot");
  fails(admin, "GRANT backup_operator TO admin2", "42501");   // the vault side cannot
  fails(boot, "GRANT backup_operator TO dba_boot", "42501");  // nobody to themselves
  ok(boot, "CREATE ROLE ops");
  fails(boot, "GRANT backup_operator TO ops", "42501");  // users only
  ok(boot, "GRANT backup_operator TO sec_admin");
  // The DBA holding nothing but the right it granted still cannot: no VAULT_ADMIN.
  ok(boot, "GRANT backup_operator TO dba_alice");
  Session alice = login("dba_alice");
  fails(alice, kBackup, "42501");
  Session admin2 = login("admin2");
  fails(admin2, kBackup, "42501");  // VAULT_ADMIN without the right
  BOOST_TEST(host.backups.empty());

  auto result = ok(admin, kBackup);
  BOOST_TEST(host.backups == std::vector<std::string>{"/backups/b.enc by sec_admin"});
  BOOST_REQUIRE(result.rows.size() == 1u);
  BOOST_TEST(result.rows[0][4] == kSecretPassword);  // returned once to the caller...
  BOOST_TEST(events_json().find(kSecretPassword) == std::string::npos);  // ...never recorded
  BOOST_TEST((export_phases() == std::vector<std::string>{"requested", "completed"}));

  // Either side may take the right away.
  ok(admin, "REVOKE backup_operator FROM sec_admin");
  fails(admin, kBackup, "42501");
  BOOST_TEST(host.backups.size() == 1u);
}

BOOST_AUTO_TEST_CASE(no_record_no_backup_and_failures_are_recorded) {
  Session boot = login("dba_boot");
  ok(boot, "GRANT backup_operator TO sec_admin");
  Session admin = login("sec_admin");
  sink.set_failing(true);
  fails(admin, kBackup, "58000");
  sink.set_failing(false);
  BOOST_TEST(host.backups.empty());
  host.fail = true;
  fails(admin, kBackup, "42710");  // the host's error, unchanged
  BOOST_TEST((export_phases() == std::vector<std::string>{"requested", "failed"}));
  auto restored = ok(admin,
                     "RESTORE DATABASE FROM '/backups/b.enc' DECRYPT WITH KEY 'mek-1' "
                     "VAULT PASSWORD 'x'");
  BOOST_TEST(restored.rows[0][0] == "/backups/b.enc.restored");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::vault::test
