// Issue 11, masking policies: the mask holds on every path the engine reads a masked column,
// and every read it cannot mask is refused (storage/masking.h, docs/encryption.md "Masking").
#include <boost/test/unit_test.hpp>

#include "tests/storage/engine_fixture.h"

namespace dbvault::storage::test {
namespace {

using Rows = std::vector<std::vector<std::string>>;

bool mentions(const Error& e, std::string_view what) {
  return e.message.find(what) != std::string::npos;
}

// people(id, ssn, email) and mine(v), made by dba_alice (a DBA); bob may read and write
// people, read and insert into mine.
struct MaskingFixture : EngineFixture {
  MaskingFixture() {
    Connection& alice = as("dba_alice");
    exec(alice, "CREATE TABLE people (id INTEGER PRIMARY KEY, ssn TEXT, email TEXT)");
    exec(alice,
         "INSERT INTO people VALUES (1, '123-45-6789', 'ann@example.com'), "
         "(2, '987-65-4321', 'ben@example.com'), (3, NULL, 'ann@example.com')");
    Session dba = login("dba_alice");
    ok(dba, "GRANT SELECT, INSERT, UPDATE, DELETE ON people TO bob");
    exec(alice, "CREATE TABLE mine (v TEXT)");
    ok(dba, "GRANT SELECT, INSERT ON mine TO bob");
  }
  void admin(std::string_view sql) {
    Session sec = login("sec_admin");
    ok(sec, sql);
  }
};

BOOST_FIXTURE_TEST_SUITE(masking, MaskingFixture)

BOOST_AUTO_TEST_CASE(full_mask_holds_in_expressions_predicates_and_aggregates) {
  admin("ALTER TABLE people ALTER COLUMN ssn SET MASKING FULL");
  Connection& bob = as("bob");
  BOOST_TEST(rows(bob, "SELECT * FROM people ORDER BY id") ==
             (Rows{{"1", "***", "ann@example.com"},
                   {"2", "***", "ben@example.com"},
                   {"3", "NULL", "ann@example.com"}}));
  for (const char* sql :
       {"SELECT upper(ssn) FROM people WHERE id = 1", "SELECT ssn || '' FROM people WHERE id = 1",
        "SELECT substr(ssn, 1, 3) || '*' FROM people WHERE id = 1",
        "SELECT CAST(ssn AS TEXT) FROM people WHERE id = 1", "SELECT min(ssn) FROM people",
        "SELECT max(ssn) FROM people", "SELECT group_concat(ssn) FROM people WHERE id = 1",
        "WITH x AS (SELECT ssn FROM people WHERE id = 1) SELECT * FROM x",
        "SELECT (SELECT ssn FROM people WHERE id = 1)",
        "SELECT s FROM (SELECT ssn AS s FROM \"PEOPLE\" WHERE id = 1)"}) {
    const Rows r = rows(bob, sql);
    BOOST_TEST(r.size() == 1U, sql);
    BOOST_TEST((r[0][0] == "***" || r[0][0] == "****"), sql << " gave " << r[0][0]);
  }
  // Predicates see the masked value: nothing can be inferred from them.
  BOOST_TEST(rows(bob, "SELECT id FROM people WHERE ssn = '123-45-6789'").empty());
  BOOST_TEST(rows(bob, "SELECT id FROM people WHERE ssn LIKE '123%'").empty());
  BOOST_TEST(rows(bob, "SELECT count(*) FROM people GROUP BY ssn ORDER BY 1") ==
             (Rows{{"1"}, {"2"}}));
  BOOST_TEST(rows(bob, "SELECT id FROM people WHERE ssn IS NOT NULL ORDER BY ssn, id") ==
             (Rows{{"1"}, {"2"}}));
}

BOOST_AUTO_TEST_CASE(copies_and_new_views_carry_the_mask) {
  admin("ALTER TABLE people ALTER COLUMN ssn SET MASKING FULL");
  Connection& bob = as("bob");
  exec(bob, "INSERT INTO mine SELECT ssn FROM people WHERE id = 1");
  BOOST_TEST(rows(bob, "SELECT v FROM mine") == (Rows{{"***"}}));
  Connection& alice = as("dba_alice");  // masked as well: the mask is for every session
  exec(alice, "CREATE TABLE copy AS SELECT * FROM people");
  exec(alice, "CREATE TEMP VIEW tv AS SELECT ssn FROM people WHERE id = 2");
  BOOST_TEST(rows(alice, "SELECT ssn FROM copy WHERE id = 1") == (Rows{{"***"}}));
  BOOST_TEST(rows(alice, "SELECT * FROM tv") == (Rows{{"***"}}));
  exec(alice,
       "CREATE TEMP TRIGGER grab AFTER INSERT ON mine BEGIN "
       "INSERT INTO copy (id, ssn) SELECT 10, ssn FROM people WHERE id = 2; END");
  exec(alice, "INSERT INTO mine VALUES ('x')");
  BOOST_TEST(rows(alice, "SELECT ssn FROM copy WHERE id = 10") == (Rows{{"***"}}));
}

BOOST_AUTO_TEST_CASE(exports_are_masked_as_reads_are) {
  admin("ALTER TABLE people ALTER COLUMN ssn SET MASKING FULL");
  Connection& bob = as("bob");
  // COPY people TO / COPY (query) TO: the server prepares the SELECT with `exported`.
  for (const char* sql : {"SELECT id, ssn FROM people WHERE id = 1",
                          "SELECT id, upper(ssn) FROM (SELECT * FROM people) WHERE id = 1"}) {
    auto st = bob.prepare(sql, {.exported = true, .source = {}});
    BOOST_TEST_REQUIRE(st.ok(), sql << ": " << (st.ok() ? "" : st.error().message));
    auto row = (*st)->step();
    BOOST_TEST_REQUIRE((row.ok() && *row), sql);
    BOOST_TEST((std::get<std::string>((*st)->column(1)) == "***"), sql);
  }
  auto direct = bob.prepare("SELECT ssn FROM main.people", {.exported = true, .source = {}});
  BOOST_TEST_REQUIRE(!direct.ok());
  BOOST_TEST(mentions(direct.error(), "masked"));
}

BOOST_AUTO_TEST_CASE(a_temp_object_holding_the_name_leaves_only_the_refused_way) {
  Connection& alice = as("dba_alice");
  exec(alice, "CREATE TEMP TABLE people (id INTEGER, ssn TEXT)");
  exec(alice, "INSERT INTO temp.people VALUES (1, 'mine')");
  admin("ALTER TABLE people ALTER COLUMN ssn SET MASKING FULL");
  BOOST_TEST(rows(alice, "SELECT ssn FROM people") == (Rows{{"mine"}}));  // her own table
  BOOST_TEST(mentions(refused(alice, "SELECT ssn FROM main.people"), "masked"));
  exec(alice, "DROP TABLE temp.people");
  BOOST_TEST(rows(alice, "SELECT ssn FROM people WHERE id = 1") == (Rows{{"***"}}));
}

BOOST_AUTO_TEST_CASE(a_generated_column_computed_from_a_masked_one_is_masked_too) {
  Connection& alice = as("dba_alice");
  exec(alice,
       "CREATE TABLE cards (id INTEGER PRIMARY KEY, pan TEXT, "
       "shout TEXT GENERATED ALWAYS AS (upper(pan)) VIRTUAL)");
  exec(alice, "INSERT INTO cards (id, pan) VALUES (1, '4111-1111-1111-1111')");
  Session dba = login("dba_alice");
  ok(dba, "GRANT SELECT ON cards TO bob");
  admin("ALTER TABLE cards ALTER COLUMN pan SET MASKING FULL");
  Connection& bob = as("bob");
  BOOST_TEST(rows(bob, "SELECT pan, shout FROM cards") == (Rows{{"***", "***"}}));
  BOOST_TEST(rows(bob, "SELECT count(*) FROM cards WHERE shout LIKE '4111%'") == (Rows{{"0"}}));
  BOOST_TEST(mentions(refused(bob, "SELECT shout FROM main.cards"), "masked"));
}

BOOST_AUTO_TEST_CASE(a_rollback_that_undoes_the_mask_views_does_not_unmask) {
  Connection& alice = as("dba_alice");
  exec(alice, "BEGIN");
  admin("ALTER TABLE people ALTER COLUMN ssn SET MASKING PARTIAL");
  BOOST_TEST(rows(alice, "SELECT ssn FROM people WHERE id = 1") == (Rows{{"***6789"}}));
  exec(alice, "ROLLBACK");  // the TEMP views made inside the transaction are gone
  BOOST_TEST(rows(alice, "SELECT ssn FROM people WHERE id = 1") == (Rows{{"***6789"}}));
  exec(alice, "BEGIN");
  exec(alice, "SAVEPOINT s");
  admin("ALTER TABLE people ALTER COLUMN ssn SET MASKING NULL");
  BOOST_TEST(rows(alice, "SELECT ssn FROM people WHERE id = 1") == (Rows{{"NULL"}}));
  exec(alice, "ROLLBACK TO s");  // brings back the PARTIAL views
  BOOST_TEST(rows(alice, "SELECT ssn FROM people WHERE id = 1") == (Rows{{"NULL"}}));
  exec(alice, "COMMIT");
}

BOOST_AUTO_TEST_CASE(a_unique_masked_column_is_no_oracle_for_inserts) {
  Connection& alice = as("dba_alice");
  exec(alice, "CREATE TABLE ids (id INTEGER PRIMARY KEY, ssn TEXT UNIQUE, note TEXT)");
  exec(alice, "INSERT INTO ids VALUES (1, '123-45-6789', 'a')");
  Session dba = login("dba_alice");
  ok(dba, "GRANT SELECT, INSERT, UPDATE ON ids TO bob");
  admin("ALTER TABLE ids ALTER COLUMN ssn SET MASKING FULL");
  Connection& bob = as("bob");
  // Would answer "is 123-45-6789 in the table?" with a unique violation.
  refused(bob, "INSERT INTO main.ids (ssn) VALUES ('123-45-6789')");
  refused(bob, "INSERT OR REPLACE INTO main.ids (ssn) VALUES ('123-45-6789')");
  refused(bob, "UPDATE main.ids SET ssn = '123-45-6789' WHERE id = 2");
  BOOST_TEST(count("ids") == 1);
}

BOOST_AUTO_TEST_CASE(reads_that_bypass_the_mask_are_refused) {
  Connection& alice = as("dba_alice");
  exec(alice, "CREATE VIEW before_view AS SELECT id, ssn FROM people");
  admin("ALTER TABLE people ALTER COLUMN ssn SET MASKING FULL");
  exec(alice, "CREATE VIEW after_view AS SELECT id, ssn FROM people");
  Connection& bob = as("bob");
  for (const char* sql : {
           "SELECT ssn FROM main.people",
           "SELECT main.people.ssn FROM main.people",
           "SELECT ssn FROM \"main\".\"People\"",
           "SELECT * FROM before_view",
           "SELECT * FROM after_view",
           "SELECT id FROM main.people WHERE ssn LIKE '123%'",
           "UPDATE main.people SET email = email WHERE ssn = '123-45-6789'",
           "DELETE FROM main.people WHERE ssn LIKE '9%'",
           "UPDATE main.people SET email = email RETURNING ssn",
           "INSERT INTO main.people (id, ssn) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET "
           "email = excluded.ssn || people.ssn",
       }) {
    const Error e = refused(bob, sql);
    BOOST_TEST(mentions(e, "masked"), sql << ": " << e.message);
  }
  // The DBA is under a mask for every session too: no exemption for who administers the data.
  BOOST_TEST(mentions(refused(alice, "SELECT ssn FROM main.people"), "masked"));
  BOOST_TEST(rows(alice, "SELECT ssn FROM people WHERE id = 1") == (Rows{{"***"}}));
  // What does not read the masked column still runs.
  BOOST_TEST(rows(bob, "SELECT email FROM main.people WHERE id = 2") ==
             (Rows{{"ben@example.com"}}));
  exec(bob, "UPDATE main.people SET email = 'b@example.com' WHERE id = 2");
  exec(bob, "INSERT INTO main.people (id, ssn) VALUES (4, '555-55-5555')");
}

BOOST_AUTO_TEST_CASE(a_trigger_planted_by_a_masked_creator_cannot_read_for_others) {
  admin("ALTER TABLE people ALTER COLUMN ssn SET MASKING FULL FOR ROLE DBA");
  Connection& alice = as("dba_alice");  // DBA: masked; bob is not
  exec(alice, "CREATE TABLE drop_box (v TEXT)");
  exec(alice,
       "CREATE TRIGGER siphon AFTER INSERT ON orders BEGIN "
       "INSERT INTO drop_box SELECT ssn FROM main.people; END");
  const Error e = refused(as("bob"), "INSERT INTO orders (user_id, note) VALUES (1, 'x')");
  BOOST_TEST(mentions(e, "masked"), e.message);
  BOOST_TEST(count("drop_box") == 0);
}

BOOST_AUTO_TEST_CASE(partial_hash_and_null_modes) {
  admin("ALTER TABLE people ALTER COLUMN ssn SET MASKING PARTIAL");
  admin("ALTER TABLE people ALTER email SET MASKING HASH");
  Connection& bob = as("bob");
  BOOST_TEST(rows(bob, "SELECT ssn FROM people ORDER BY id") ==
             (Rows{{"***6789"}, {"***4321"}, {"NULL"}}));
  exec(bob, "INSERT INTO main.people (id, ssn) VALUES (5, 'abcd'), (6, 'é€ü😀x')");
  BOOST_TEST(rows(bob, "SELECT ssn FROM people WHERE id >= 5 ORDER BY id") ==
             (Rows{{"***"}, {"***€ü😀x"}}));
  const Rows h = rows(bob, "SELECT email FROM people ORDER BY id");
  BOOST_TEST(h[0][0].size() == 64U);
  BOOST_TEST(h[0][0] == h[2][0]);  // equal values, equal hashes ...
  BOOST_TEST(h[0][0] != h[1][0]);
  BOOST_TEST(h[0][0].find("ann") == std::string::npos);
  // ... so joins on the masked column still match.
  BOOST_TEST(rows(bob,
                  "SELECT a.id, b.id FROM people a JOIN people b ON a.email = b.email "
                  "AND a.id < b.id") == (Rows{{"1", "3"}}));
  admin("ALTER TABLE people ALTER COLUMN ssn SET MASKING NULL");
  BOOST_TEST(rows(bob, "SELECT count(ssn) FROM people") == (Rows{{"0"}}));
}

BOOST_AUTO_TEST_CASE(role_masks_override_the_default_and_the_strictest_wins) {
  Session dba = login("dba_boot");
  ok(dba, "CREATE ROLE support");
  ok(dba, "CREATE ROLE analysts");
  ok(dba, "GRANT support TO bob");
  ok(dba, "GRANT analysts TO bob");
  admin("ALTER TABLE people ALTER COLUMN ssn SET MASKING FULL");
  admin("ALTER TABLE people ALTER COLUMN ssn SET MASKING PARTIAL FOR ROLE support");
  BOOST_TEST(rows(as("bob"), "SELECT ssn FROM people WHERE id = 1") == (Rows{{"***6789"}}));
  BOOST_TEST(rows(as("dba_alice"), "SELECT ssn FROM people WHERE id = 1") == (Rows{{"***"}}));
  admin("ALTER TABLE people ALTER COLUMN ssn SET MASKING NULL FOR ROLE analysts");
  BOOST_TEST(rows(as("bob"), "SELECT ssn FROM people WHERE id = 1") == (Rows{{"NULL"}}));
  // The DBA cannot drop the role to drop its masks (the VAULT_ADMIN's).
  const Error e = fails(dba, "DROP ROLE analysts CASCADE", "2BP01");
  BOOST_TEST(mentions(e, "masking policies"), e.message);
  admin("ALTER TABLE people ALTER COLUMN ssn DROP MASKING FOR ROLE analysts");
  ok(dba, "DROP ROLE analysts");
  admin("ALTER TABLE people ALTER COLUMN ssn DROP MASKING FOR ROLE support");
  admin("ALTER TABLE people ALTER COLUMN ssn DROP MASKING");
  BOOST_TEST(rows(as("bob"), "SELECT ssn FROM main.people WHERE id = 1") ==
             (Rows{{"123-45-6789"}}));
  BOOST_TEST(rows(as("bob"), "SELECT ssn FROM people WHERE id = 1") == (Rows{{"123-45-6789"}}));
}

BOOST_AUTO_TEST_CASE(a_statement_prepared_before_the_policy_is_refused_until_prepared_again) {
  Connection& bob = as("bob");
  auto st = bob.prepare("SELECT ssn FROM people WHERE id = 1");
  BOOST_TEST_REQUIRE(st.ok());
  admin("ALTER TABLE people ALTER COLUMN ssn SET MASKING FULL");
  auto stepped = (*st)->step();
  BOOST_TEST_REQUIRE(!stepped.ok());
  BOOST_TEST(stepped.error().code.code() == "42501");
  BOOST_TEST(rows(bob, "SELECT ssn FROM people WHERE id = 1") == (Rows{{"***"}}));
  // Prepared under FULL, run after a change to NULL: prepared again, never the old mask.
  auto masked = bob.prepare("SELECT ssn FROM people WHERE id = 1");
  BOOST_TEST_REQUIRE(masked.ok());
  admin("ALTER TABLE people ALTER COLUMN ssn SET MASKING NULL");
  auto again = (*masked)->step();
  BOOST_TEST_REQUIRE(!again.ok());
  BOOST_TEST(mentions(again.error(), "prepare it again"), again.error().message);
}

BOOST_AUTO_TEST_CASE(the_mask_objects_cannot_be_named_or_imitated) {
  admin("ALTER TABLE people ALTER COLUMN email SET MASKING HASH");
  Connection& bob = as("bob");
  for (const char* sql :
       {"SELECT dbvault_mask('HASH', 'ann@example.com')",
        "WITH dbvault_mask_people AS (SELECT email FROM main.people) "
        "SELECT * FROM dbvault_mask_people",
        "SELECT * FROM temp.\"DBVAULT_MASK_people\"", "DROP VIEW temp.dbvault_mask_people"}) {
    BOOST_TEST(mentions(refused(bob, sql), "reserved"), sql);
  }
  // Not by a session without masks either (a view of its would be an oracle for others).
  BOOST_TEST(mentions(
      refused(as("dba_boot"), "CREATE VIEW oracle AS SELECT dbvault_mask('HASH', 'x') AS h"),
      "reserved"));
  // Dropping the shadow view only leaves main.people, which is refused; it comes back.
  Connection& alice = as("dba_alice");
  exec(alice, "DROP VIEW temp.people");
  BOOST_TEST(rows(alice, "SELECT count(*) FROM people WHERE email LIKE '%@%'") == (Rows{{"0"}}));
}

BOOST_AUTO_TEST_CASE(a_masked_table_cannot_be_renamed_out_from_under_its_masks) {
  // For everyone, not only the masked: here a role nobody holds, so dba_boot reads in clear.
  Session dba = login("dba_boot");
  ok(dba, "CREATE ROLE nobody_yet");
  admin("ALTER TABLE people ALTER COLUMN ssn SET MASKING FULL FOR ROLE nobody_yet");
  BOOST_TEST(rows(as("dba_boot"), "SELECT ssn FROM people WHERE id = 1") ==
             (Rows{{"123-45-6789"}}));
  for (const char* sql :
       {"ALTER TABLE people RENAME TO people2", "ALTER TABLE people RENAME COLUMN ssn TO s",
        "ALTER TABLE people ADD COLUMN extra TEXT"}) {
    BOOST_TEST(mentions(refused(as("dba_boot"), sql), "masking policies"), sql);
  }
}

BOOST_AUTO_TEST_CASE(only_a_vault_admin_sets_or_drops_masks_and_they_survive_restart) {
  Session dba = login("dba_alice");
  fails(dba, "ALTER TABLE people ALTER COLUMN ssn SET MASKING FULL", "42501");
  admin("ALTER TABLE people ALTER COLUMN ssn SET MASKING HASH");
  fails(dba, "ALTER TABLE people ALTER COLUMN ssn DROP MASKING", "42501");
  Session sec = login("sec_admin");
  fails(sec, "ALTER TABLE people ALTER COLUMN ssn DROP MASKING FOR ROLE DBA", "42704");
  fails(sec, "ALTER TABLE people ALTER COLUMN ssn SET MASKING FULL FOR ROLE nobody", "42704");
  BOOST_TEST(events_json().find("\"statement\":\"SET MASKING\"") != std::string::npos);
  reopen();
  const auto masks = vault->snapshot()->data().maskings;
  BOOST_TEST_REQUIRE(masks.size() == 1U);
  BOOST_TEST(masks[0].column == "ssn");
  BOOST_TEST((masks[0].mode == ast::MaskingMode::kHash));
  Session auditor = login("carol");
  auto view = vault->query_view(auditor, "vault.masking_policies");
  BOOST_TEST_REQUIRE(view.ok());
  BOOST_TEST(view->rows ==
             (std::vector<std::vector<std::string>>{{"main.people", "ssn", "HASH", ""}}));
  Session bob = login("bob");
  BOOST_TEST(!vault->query_view(bob, "vault.masking_policies").ok());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::storage::test
