// The policy store and credentials: schema, restart, SCRAM verifiers, token format.
#include <sqlite3.h>

#include <boost/test/unit_test.hpp>

#include "tests/vault/vault_fixture.h"
#include "vault/credentials.h"
#include "vault/policy_store.h"

namespace dbvault::vault::test {

using ast::Command;

BOOST_FIXTURE_TEST_SUITE(store, VaultFixture)

BOOST_AUTO_TEST_CASE(restart_restores_realms_rules_grants_and_tokens) {
  cast();
  Session admin = login("sec_admin");
  ok(admin, "CREATE REALM pii REQUIRE VAULT PASSWORD 'pii-pw'");
  ok(admin, "ALTER REALM pii ADD TABLE users");
  ok(admin, "CREATE RULE SET daytime ALL (HOUR(CURRENT_TIMESTAMP) BETWEEN 9 AND 17)");
  ok(admin,
     "CREATE COMMAND RULE fin_day FOR SELECT ON TABLE financial_records "
     "ALLOW ONLY WHEN RULE_SET('daytime') MESSAGE 'daytime only'");
  auto g = ok(admin, "GRANT VAULT PASSWORD ON REALM pii TO bob VALID FOR '3 hours'");
  Session dba = login("dba_alice");
  auto u = ok(dba, "UNLOCK REALM pii PASSWORD 'pii-pw'");
  auto expired = ok(dba, "UNLOCK REALM pii PASSWORD 'pii-pw'");
  ok(admin, "REVOKE VAULT TOKEN '" + expired.rows[0][2] + "'");

  reopen();
  Session dba2 = login("dba_alice");
  BOOST_TEST(!access(dba2, Command::kSelect, "users").ok());  // realm and its table restored
  ok(dba2, "UNLOCK REALM pii TOKEN '" + u.rows[0][1] + "'");  // token restored
  BOOST_TEST(access(dba2, Command::kSelect, "users").ok());
  Session dba3 = login("dba_alice");
  fails(dba3, "UNLOCK REALM pii TOKEN '" + expired.rows[0][1] + "'", "28P01");  // revoked stays
  Session bob = login("bob");
  ok(bob, "UNLOCK REALM pii PASSWORD '" + g.rows[0][2] + "'");  // grant restored
  BOOST_TEST(access(bob, Command::kSelect, "users").ok());      // privileges restored
  clock.advance(std::chrono::hours(6));                         // 18:00 UTC
  auto st = access(bob, Command::kSelect, "financial_records");
  BOOST_TEST_REQUIRE(!st.ok());
  BOOST_TEST(st.error().message == "daytime only");  // rule and rule set restored
  // The bootstrap happened once, and split the duties.
  auto snap = vault->snapshot();
  const auto id = *snap->find_user("sec_admin");
  BOOST_TEST(snap->has_role(id, kRoleVaultAdmin));
  BOOST_TEST(!snap->has_role(id, kRoleAccountManager));
  BOOST_TEST(!snap->has_role(id, kRoleDba));
  const auto boot = *snap->find_user("dba_boot");
  BOOST_TEST(snap->has_role(boot, kRoleDba));
  BOOST_TEST(snap->has_role(boot, kRoleAccountManager));
  BOOST_TEST(!snap->has_role(boot, kRoleVaultAdmin));
}

BOOST_AUTO_TEST_CASE(schema_is_versioned_wal_and_holds_no_plaintext_secret) {
  cast();
  Session admin = login("sec_admin");
  ok(admin, "CREATE REALM pii REQUIRE VAULT PASSWORD 'pii-plain-pw'");
  auto g = ok(admin, "GRANT VAULT PASSWORD ON REALM pii TO bob VALID FOR '1 hour'");
  Session bob = login("bob");
  auto u = ok(bob, "UNLOCK REALM pii PASSWORD 'pii-plain-pw'");
  for (const char* file : {"policy.db", "policy.db-wal"}) {  // owner-only, whatever the umask
    const auto perms = std::filesystem::status(dir / file).permissions();
    BOOST_TEST(
        (perms == (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)),
        file);
  }
  vault.reset();
  sqlite3* db = nullptr;
  BOOST_TEST_REQUIRE(sqlite3_open((dir / "policy.db").c_str(), &db) == SQLITE_OK);
  auto scalar = [&](const char* sql) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
    std::string out;
    if (sqlite3_step(st) == SQLITE_ROW) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return out;
  };
  BOOST_TEST(scalar("SELECT MAX(version) FROM schema_migrations") ==
             std::to_string(PolicyStore::schema_version()));
  BOOST_TEST(scalar("PRAGMA journal_mode") == "wal");
  BOOST_TEST(scalar("SELECT scram_verifier FROM users WHERE name = 'bob'")
                 .starts_with("SCRAM-SHA-256$64:"));
  BOOST_TEST(scalar("SELECT password_phc FROM realms").starts_with("$argon2id$"));
  // Dump every text value of every table and look for the secrets.
  std::string dump;
  for (const char* t : {"users", "realms", "vault_grants", "vault_tokens", "settings"}) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, (std::string("SELECT * FROM ") + t).c_str(), -1, &st, nullptr);
    while (sqlite3_step(st) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        if (const auto* p = sqlite3_column_text(st, c)) dump += reinterpret_cast<const char*>(p);
      }
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  BOOST_TEST(dump.find("pii-plain-pw") == std::string::npos);
  BOOST_TEST(dump.find(g.rows[0][2]) == std::string::npos);
  BOOST_TEST(dump.find(u.rows[0][1]) == std::string::npos);
  BOOST_TEST(dump.find(u.rows[0][2]) != std::string::npos);  // the token's public id is kept
  open();  // reopening an up-to-date store migrates nothing and keeps working
  Session bob2 = login("bob");
  ok(bob2, "UNLOCK REALM pii TOKEN '" + u.rows[0][1] + "'");
}

BOOST_AUTO_TEST_CASE(scram_verifier_matches_postgres_format) {
  auto v = make_scram_verifier(SecretString("pencil"), 4096);
  BOOST_TEST_REQUIRE(v.ok());
  BOOST_TEST(v->starts_with("SCRAM-SHA-256$4096:"));
  BOOST_TEST(*verify_scram_password(SecretString("pencil"), *v));
  BOOST_TEST(!*verify_scram_password(SecretString("pencil2"), *v));
  // RFC 7677's example: salt W22ZaJ0SNY7soEsUEjb6gQ==, password "pencil", 4096 iterations.
  const std::string rfc =
      "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"
      "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";
  BOOST_TEST(*verify_scram_password(SecretString("pencil"), rfc));
  BOOST_TEST(!verify_scram_password(SecretString("pencil"), "md5abc").ok());
}

BOOST_AUTO_TEST_CASE(users_and_verifiers_through_sql) {
  Session admin = login("dba_boot");
  ok(admin, "CREATE USER dave PASSWORD 'Correct-Horse'");
  fails(admin, "CREATE USER dave PASSWORD 'x'", "42710");
  auto v = vault->scram_verifier("dave");
  BOOST_TEST_REQUIRE(v.has_value());
  BOOST_TEST(*verify_scram_password(SecretString("Correct-Horse"), *v));
  Session dave = login("dave");
  ok(dave, "ALTER USER dave PASSWORD 'Battery-Staple'");  // own password
  BOOST_TEST(
      *verify_scram_password(SecretString("Battery-Staple"), *vault->scram_verifier("dave")));
  fails(dave, "ALTER USER sec_admin PASSWORD 'x'", "42501");
  ok(admin, "DROP USER dave");
  fails(admin, "DROP USER dave", "42704");
  BOOST_TEST(!vault->login("dave", {}).ok());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::vault::test
