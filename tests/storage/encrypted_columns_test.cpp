// Encrypted columns on a real engine, vault, key store and KeyGate (docs/encryption.md §13):
// CREATE TABLE ... ENCRYPTED records the columns and makes the table's column key; INSERT and
// UPDATE are rewritten so that SQLite only ever sees the sealed value (checked past the vault,
// in the file: typeof/length/hex of the stored value, no marker); SELECT decrypts in the result
// path; writes the rewrite does not understand are refused (0A000); a session the vault does not
// admit gets 42501 and causes no key release; a value written behind the engine's back, or
// moved to another table, is refused (XX001), never returned.
#include <boost/test/unit_test.hpp>

#include "crypto/key_gate.h"
#include "crypto/tek_store.h"
#include "grammar/parser.h"
#include "storage/columns/column_catalog.h"
#include "storage/columns/column_session.h"
#include "storage/columns/gate_column_keys.h"
#include "storage/columns/write_rewrite.h"
#include "storage/vfs/encrypted_db.h"
#include "tests/crypto/gate_fixtures.h"
#include "tests/storage/engine_fixture.h"
#include "vault/key_authorizer.h"

namespace dbvault::storage::test {
namespace {

constexpr std::string_view kMarker = "ENCMARKER-123-45-6789";
const crypto::KeyScope kScope = crypto::KeyScope::columns("main.patients");

std::string hex_of(std::string_view s) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

struct ColumnFixture : EngineFixture {
  ColumnFixture() {
    auto s = crypto::test::open_env_key_store(
        dir / "keys", "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0",
        "col-test-1", clock);
    BOOST_REQUIRE(s.ok());
    store = std::move(*s);
    vault_authz = std::make_unique<vault::KeyAuthorizer>(*vault, engine->key_scopes(), clock);
    gate = std::make_unique<crypto::KeyGate>(*store, *vault_authz, key_audit, clock);
    vault_authz->set_gate(gate.get());
    vault->set_key_listener(vault_authz.get());
  }
  ~ColumnFixture() {
    clients.clear();
    vault->set_key_listener(nullptr);
  }

  struct Client {
    std::uint64_t id;
    std::unique_ptr<vault::Session> session;
    std::unique_ptr<Connection> conn;
  };
  // A session of `user` whose connection gets column keys through the gate.
  Client& client_of(std::string_view user) {
    for (auto& c : clients) {
      if (c.session->user_name() == user) return c;
    }
    Client c{next_id++, std::make_unique<vault::Session>(login(user)), nullptr};
    vault_authz->attach(c.id, *c.session);
    auto conn = engine->connect(*c.session);
    BOOST_TEST_REQUIRE(conn.ok());
    c.conn = std::move(*conn);
    c.conn->set_column_keys(std::make_shared<columns::GateColumnKeys>(
        *gate, *store, crypto::SessionRef{c.id, std::string(user)}));
    clients.push_back(std::move(c));
    return clients.back();
  }
  Connection& client(std::string_view user) { return *client_of(user).conn; }

  Status create_table(Connection& c, std::string_view sql) {
    auto parsed = grammar::parse(sql);
    BOOST_TEST_REQUIRE(parsed.ok());
    return c.create_table_in(std::get<ast::CreateTable>(parsed->node));
  }
  // patients(id INTEGER PRIMARY KEY, name, ssn ENCRYPTED), created by dba_alice; bob may
  // SELECT, INSERT and UPDATE it.
  void patients() {
    auto s = create_table(client("dba_alice"),
                          "CREATE TABLE patients (id INTEGER PRIMARY KEY, name TEXT, "
                          "ssn TEXT ENCRYPTED)");
    BOOST_TEST_REQUIRE(s.ok(), (s.ok() ? "" : s.error().message));
    Session dba = login("dba_alice");
    ok(dba, "GRANT SELECT, INSERT, UPDATE ON patients TO bob");
  }
  // One column of every row of `sql`, read from the file past the vault and the column layer.
  std::vector<std::string> raw(std::string_view sql) {
    auto db = vfs::open_encrypted(engine_db, *engine_vfs);
    BOOST_TEST_REQUIRE(db.ok());
    sqlite3_stmt* st = nullptr;
    BOOST_TEST_REQUIRE(sqlite3_prepare_v2(db->get(), std::string(sql).c_str(), -1, &st, nullptr) ==
                       SQLITE_OK);
    std::vector<std::string> out;
    while (sqlite3_step(st) == SQLITE_ROW) {
      const auto* p = sqlite3_column_text(st, 0);
      out.push_back(p != nullptr ? reinterpret_cast<const char*>(p) : "NULL");
    }
    sqlite3_finalize(st);
    return out;
  }
  std::size_t column_releases(std::uint64_t session) {
    std::size_t n = 0;
    for (const auto& e : key_audit.events()) n += e.session_id == session && e.scope == kScope;
    return n;
  }

  crypto::test::InMemoryAuditSink key_audit;
  std::unique_ptr<crypto::TekStore> store;
  std::unique_ptr<vault::KeyAuthorizer> vault_authz;
  std::unique_ptr<crypto::KeyGate> gate;
  std::uint64_t next_id = 100;
  std::vector<Client> clients;
};

using Rows = std::vector<std::vector<std::string>>;

}  // namespace

BOOST_FIXTURE_TEST_SUITE(encrypted_columns, ColumnFixture)

BOOST_AUTO_TEST_CASE(sqlite_sees_only_ciphertext_and_the_result_path_decrypts) {
  patients();
  Connection& bob = client("bob");
  exec(bob, "INSERT INTO patients (id, name, ssn) VALUES (1, 'Ann', '" + std::string(kMarker) +
                "'), (2, 'Bo', NULL)");
  BOOST_TEST((rows(bob, "SELECT id, ssn FROM patients ORDER BY id") ==
              Rows{{"1", std::string(kMarker)}, {"2", "NULL"}}));
  // Through a view and a subquery the column's origin is still known.
  BOOST_TEST((rows(bob, "SELECT s FROM (SELECT ssn AS s FROM patients WHERE id = 1)") ==
              Rows{{std::string(kMarker)}}));
  // In the file: a BLOB of header + nonce + ciphertext + tag, never the marker.
  BOOST_TEST(
      (raw("SELECT typeof(ssn) || ':' || ifnull(length(ssn), 0) FROM patients ORDER BY id") ==
       std::vector<std::string>{"blob:" + std::to_string(14 + 12 + 1 + kMarker.size() + 16),
                                "null:0"}));
  const auto stored = raw("SELECT hex(ssn) FROM patients WHERE id = 1");
  BOOST_TEST_REQUIRE(stored.size() == 1u);
  BOOST_TEST(stored[0].starts_with("0101000000010000000000000001"));  // v1 RANDOMIZED key 1 row 1
  BOOST_TEST(stored[0].find(hex_of(kMarker)) == std::string::npos);
  // The key was released to bob once, audited; the catalog holds the column.
  BOOST_TEST(column_releases(client_of("bob").id) == 1u);
  BOOST_TEST((raw("SELECT table_name || '.' || column_name || '=' || mode FROM "
                  "dbvault_encrypted_columns") ==
              std::vector<std::string>{"main.patients.ssn=RANDOMIZED"}));
}

BOOST_AUTO_TEST_CASE(parameters_and_updates_are_sealed_too) {
  patients();
  Connection& bob = client("bob");
  auto st = bob.prepare("INSERT INTO patients (id, ssn) VALUES (?1, ?2)");
  BOOST_TEST_REQUIRE(st.ok(), (st.ok() ? "" : st.error().message));
  BOOST_REQUIRE((*st)->bind(1, std::int64_t{7}).ok());
  BOOST_REQUIRE((*st)->bind(2, std::string(kMarker)).ok());
  auto r = (*st)->step();
  BOOST_TEST_REQUIRE(r.ok(), (r.ok() ? "" : r.error().message));
  exec(bob, "UPDATE patients SET ssn = 'second-value', name = upper('x') WHERE id = 7");
  BOOST_TEST((rows(bob, "SELECT name, ssn FROM patients") == Rows{{"X", "second-value"}}));
  BOOST_TEST((raw("SELECT typeof(ssn) FROM patients") == std::vector<std::string>{"blob"}));
}

BOOST_AUTO_TEST_CASE(writes_the_rewrite_does_not_understand_are_refused) {
  patients();
  Connection& bob = client("bob");
  exec(bob, "INSERT INTO patients (id, ssn) VALUES (1, 'a')");
  for (const char* sql : {
           "INSERT INTO patients (id, ssn) SELECT 2, 'b'",
           "INSERT INTO patients (id, ssn) VALUES (2, upper('b'))",
           "INSERT INTO patients (ssn) VALUES ('no row identity')",
           "INSERT INTO patients (id, ssn) VALUES (2, 'b') RETURNING ssn",
           "UPDATE patients SET ssn = ssn || 'x' WHERE id = 1",
           "UPDATE patients SET id = 5 WHERE id = 1",
           "INSERT INTO patients (id, ssn) VALUES (?, ?)",
       }) {
    BOOST_TEST_CONTEXT(sql) {
      const Error e = refused(bob, sql, "0A000");
      BOOST_TEST(e.message.find("main.patients") != std::string::npos, e.message);
    }
  }
  const Error reserved =
      refused(bob,
              "INSERT INTO patients (id, ssn) VALUES (3, dbvault_seal('main.patients', "
              "'ssn', 'x', 3))");
  BOOST_TEST(reserved.message.find("reserved") != std::string::npos);
  BOOST_TEST((raw("SELECT count(*) FROM patients") == std::vector<std::string>{"1"}));
}

BOOST_AUTO_TEST_CASE(an_unadmitted_session_gets_42501_from_the_vault_and_no_key) {
  patients();
  exec(client("bob"), "INSERT INTO patients (id, ssn) VALUES (1, 'a')");
  Session admin = login("sec_admin");
  ok(admin, "CREATE REALM clinic");
  ok(admin, "ALTER REALM clinic ADD TABLE patients");
  ok(admin, "ALTER REALM clinic AUTHORIZE USER bob");
  Connection& alice = client("dba_alice");  // the owner, but not in the realm
  const std::size_t before = column_releases(client_of("dba_alice").id);
  refused(alice, "SELECT ssn FROM patients", "42501");
  refused(alice, "INSERT INTO patients (id, ssn) VALUES (9, 'x')", "42501");
  BOOST_TEST(column_releases(client_of("dba_alice").id) == before);
  BOOST_TEST((rows(client("bob"), "SELECT ssn FROM patients") == Rows{{"a"}}));
}

BOOST_AUTO_TEST_CASE(a_value_not_sealed_for_its_column_is_never_returned) {
  patients();
  auto s = create_table(client("dba_alice"),
                        "CREATE TABLE staff (id INTEGER PRIMARY KEY, ssn TEXT ENCRYPTED)");
  BOOST_TEST_REQUIRE(s.ok(), (s.ok() ? "" : s.error().message));
  Connection& alice = client("dba_alice");
  exec(alice, "INSERT INTO patients (id, ssn) VALUES (1, 'a'), (2, 'b')");
  exec(alice, "INSERT INTO staff (id, ssn) VALUES (2, 'staff-b')");
  // A writer of the file (past the vault) stores plaintext, a forged value, and a value sealed
  // for the same row of another table.
  raw_exec("UPDATE patients SET ssn = 'plain' WHERE id = 1");
  BOOST_TEST(
      refused(alice, "SELECT ssn FROM patients WHERE id = 1", "XX001").message.find("plain") ==
      std::string::npos);
  raw_exec("UPDATE patients SET ssn = X'010100000001000000000000000100' WHERE id = 1");
  refused(alice, "SELECT ssn FROM patients WHERE id = 1", "XX001");
  raw_exec("UPDATE staff SET ssn = (SELECT ssn FROM patients WHERE id = 2) WHERE id = 2");
  refused(alice, "SELECT ssn FROM staff", "XX001");
  BOOST_TEST((rows(alice, "SELECT ssn FROM patients WHERE id = 2") == Rows{{"b"}}));
}

BOOST_AUTO_TEST_CASE(create_refuses_what_encrypted_columns_cannot_be) {
  Connection& alice = client("dba_alice");
  for (const char* sql : {
           "CREATE TABLE a1 (id INTEGER, ssn TEXT ENCRYPTED)",  // no INTEGER PRIMARY KEY
           "CREATE TABLE a2 (id INTEGER PRIMARY KEY, ssn TEXT ENCRYPTED DEFAULT 'x')",
           "CREATE TABLE a3 (id INTEGER PRIMARY KEY, ssn TEXT ENCRYPTED) TABLESPACE x",
       }) {
    BOOST_TEST_CONTEXT(sql) {
      auto s = create_table(alice, sql);
      BOOST_REQUIRE(!s.ok());
      BOOST_TEST(s.error().code == sqlstate::kFeatureNotSupported);
    }
  }
  auto temp = create_table(alice, "CREATE TEMP TABLE a4 (id INTEGER PRIMARY KEY, s ENCRYPTED)");
  BOOST_REQUIRE(!temp.ok());
  BOOST_TEST(temp.error().code == sqlstate::kInvalidParameterValue);
  BOOST_TEST((raw("SELECT count(*) FROM sqlite_schema WHERE name IN ('a1', 'a2')") ==
              std::vector<std::string>{"0"}));
  BOOST_TEST(engine->encrypted_columns().empty());
}

BOOST_AUTO_TEST_CASE(the_catalog_survives_a_reload_and_invalid_metadata_fails_closed) {
  patients();
  auto db = vfs::open_encrypted(engine_db, *engine_vfs);
  BOOST_TEST_REQUIRE(db.ok());
  columns::ColumnCatalog again;
  BOOST_REQUIRE(again.load(db->get()).ok());
  BOOST_TEST_REQUIRE(again.column("MAIN.Patients", "SSN").has_value());
  BOOST_TEST((again.column("main.patients", "ssn")->mode == columns::ColumnMode::kRandomized));
  BOOST_TEST(!again.column("main.patients", "name").has_value());
  BOOST_TEST(again.objects(kScope).size() == 2u);  // the table and its encrypted column
  sqlite3_exec(db->get(), "UPDATE dbvault_encrypted_columns SET mode = 'ROT13'", nullptr, nullptr,
               nullptr);
  BOOST_REQUIRE(again.load(db->get()).ok());
  BOOST_TEST_REQUIRE(again.column("main.patients", "ssn").has_value());
  BOOST_TEST(!again.column("main.patients", "ssn")->mode.has_value());
  columns::ColumnSession session(again);
  auto sealed = session.seal({"main.patients", "ssn"}, std::string("x"), 1);
  BOOST_REQUIRE(!sealed.ok());
  BOOST_TEST(sealed.error().code == sqlstate::kDataCorrupted);
}

BOOST_AUTO_TEST_CASE(deterministic_columns_seal_equal_values_equally) {
  Connection& alice = client("dba_alice");
  // No INTEGER PRIMARY KEY needed: DETERMINISTIC values are bound to table and column only.
  auto s = create_table(alice,
                        "CREATE TABLE people (n INTEGER, ssn TEXT ENCRYPTED WITH (TYPE = "
                        "DETERMINISTIC), card TEXT ENCRYPTED WITH (TYPE = DETERMINISTIC))");
  BOOST_TEST_REQUIRE(s.ok(), (s.ok() ? "" : s.error().message));
  exec(alice, "INSERT INTO people (n, ssn, card) VALUES (1, 'same', 'same'), (2, 'same', 'x')");
  BOOST_TEST((rows(alice, "SELECT n, ssn, card FROM people") ==
              Rows{{"1", "same", "same"}, {"2", "same", "x"}}));
  const auto ssn = raw("SELECT hex(ssn) FROM people ORDER BY n");
  BOOST_TEST_REQUIRE(ssn.size() == 2u);
  BOOST_TEST(ssn[0] == ssn[1]);                    // equal values, equal ciphertexts
  BOOST_TEST(ssn[0].starts_with("010200000001"));  // v1 DETERMINISTIC key 1, no row
  const auto card = raw("SELECT hex(card) FROM people WHERE n = 1");
  BOOST_TEST(card.at(0) != ssn[0]);  // the same value in another column: another ciphertext
  BOOST_TEST((raw("SELECT column_name || '=' || mode FROM dbvault_encrypted_columns") ==
              std::vector<std::string>{"ssn=DETERMINISTIC", "card=DETERMINISTIC"}));
}

BOOST_AUTO_TEST_CASE(drop_table_forgets_the_columns_and_destroys_their_key) {
  patients();
  Connection& alice = client("dba_alice");
  exec(alice, "INSERT INTO patients (id, ssn) VALUES (1, 'a')");
  BOOST_TEST_REQUIRE(store->current(kScope).ok());
  // Inside a transaction block it is refused: a ROLLBACK would bring the table back without
  // its record (its ciphertext then read as plaintext, new values stored unsealed).
  exec(alice, "BEGIN");
  refused(alice, "DROP TABLE patients", "25001");
  exec(alice, "ROLLBACK");
  exec(alice, "DROP TABLE Main.\"PATIENTS\"");
  BOOST_TEST(!engine->encrypted_columns().find("main.patients").has_value());
  BOOST_TEST(
      (raw("SELECT count(*) FROM dbvault_encrypted_columns") == std::vector<std::string>{"0"}));
  auto key = store->current(kScope);
  BOOST_TEST_REQUIRE(!key.ok());
  BOOST_TEST(key.error().code == sqlstate::kUndefinedObject);
  // A new table of the name is an ordinary one.
  exec(alice, "CREATE TABLE patients (id INTEGER PRIMARY KEY, ssn TEXT)");
  exec(alice, "INSERT INTO patients VALUES (1, 'plain')");
  BOOST_TEST((rows(alice, "SELECT ssn FROM patients") == Rows{{"plain"}}));
}

// people(id, name, ssn DETERMINISTIC with an index, card RANDOMIZED), rows 1..3, by dba_alice.
void people(ColumnFixture& f) {
  Connection& alice = f.client("dba_alice");
  auto s = f.create_table(alice,
                          "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, ssn TEXT "
                          "ENCRYPTED WITH (TYPE = DETERMINISTIC), card TEXT ENCRYPTED)");
  BOOST_TEST_REQUIRE(s.ok(), (s.ok() ? "" : s.error().message));
  f.exec(alice, "CREATE INDEX people_ssn ON people (ssn)");
  f.exec(alice,
         "INSERT INTO people (id, name, ssn, card) VALUES (1, 'a', '111', 'c1'), "
         "(2, 'b', '222', 'c2'), (3, 'c', '111', NULL)");
}

BOOST_AUTO_TEST_CASE(deterministic_equality_compares_ciphertexts_through_the_index) {
  people(*this);
  Connection& alice = client("dba_alice");
  BOOST_TEST(
      (rows(alice, "SELECT id FROM people WHERE ssn = '111' ORDER BY id") == Rows{{"1"}, {"3"}}));
  BOOST_TEST((rows(alice, "SELECT id, ssn FROM people WHERE '222' == ssn") == Rows{{"2", "222"}}));
  BOOST_TEST((rows(alice, "SELECT id FROM people WHERE ssn <> '111'") == Rows{{"2"}}));
  BOOST_TEST((rows(alice, "SELECT id FROM people WHERE ssn IN ('222', '111') ORDER BY id") ==
              Rows{{"1"}, {"2"}, {"3"}}));
  BOOST_TEST((rows(alice, "SELECT id FROM people WHERE ssn NOT IN ('111', 'x')") == Rows{{"2"}}));
  BOOST_TEST(
      (rows(alice, "SELECT p.id FROM main.People AS p WHERE p.\"SSN\" = '222'") == Rows{{"2"}}));
  // Through a view.
  exec(alice, "CREATE VIEW people_v AS SELECT id, ssn FROM people");
  BOOST_TEST((rows(alice, "SELECT id FROM people_v WHERE ssn = '222'") == Rows{{"2"}}));
  // A parameter bound later is sealed at each execution, as bound.
  auto st = alice.prepare("SELECT id FROM people WHERE ssn = $1 ORDER BY id");
  BOOST_TEST_REQUIRE(st.ok(), (st.ok() ? "" : st.error().message));
  for (const auto& [bound, want] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"222", {"2"}}, {"111", {"1", "3"}}}) {
    BOOST_REQUIRE((*st)->bind(1, bound).ok());
    std::vector<std::string> got;
    for (;;) {
      auto r = (*st)->step();
      BOOST_TEST_REQUIRE(r.ok(), (r.ok() ? "" : r.error().message));
      if (!*r) break;
      got.push_back(std::to_string(std::get<std::int64_t>((*st)->column(0))));
    }
    BOOST_TEST(got == want);
    (*st)->reset();
  }
  // UPDATE and DELETE find their rows the same way; the index answers the lookup.
  exec(alice, "UPDATE people SET name = 'z' WHERE ssn = '222'");
  exec(alice, "DELETE FROM people WHERE ssn = ?1 AND id = 3");  // unbound: NULL, nothing
  BOOST_TEST((rows(alice, "SELECT id, name FROM people WHERE ssn IN ('222')") == Rows{{"2", "z"}}));
  const auto plan = rows(alice, "EXPLAIN QUERY PLAN SELECT id FROM people WHERE ssn = '111'");
  BOOST_TEST_REQUIRE(!plan.empty());
  BOOST_TEST(plan[0].back().find("INDEX people_ssn") != std::string::npos, plan[0].back());
}

BOOST_AUTO_TEST_CASE(every_other_use_of_an_encrypted_column_is_refused_with_0a000) {
  people(*this);
  Connection& alice = client("dba_alice");
  exec(alice, "CREATE TABLE plain (v)");
  exec(alice, "CREATE VIEW hexed AS SELECT id, hex(ssn) AS h FROM people");
  const std::string det =
      "column main.people.ssn is encrypted (DETERMINISTIC): only =, <> and IN with a literal "
      "or parameter are supported (refused: ";
  for (const char* sql : {
           "SELECT id FROM people WHERE ssn > '1'",
           "SELECT id FROM people WHERE ssn BETWEEN '1' AND '2'",
           "SELECT id FROM people WHERE ssn LIKE '1%'",
           "SELECT id FROM people WHERE ssn GLOB '1*'",
           "SELECT id, ssn FROM people ORDER BY ssn",
           "SELECT ssn, count(*) FROM people GROUP BY ssn",
           "SELECT DISTINCT ssn FROM people",
           "SELECT count(ssn) FROM people",
           "SELECT max(ssn) FROM people",
           "SELECT upper(ssn) FROM people",
           "SELECT hex(ssn) FROM people",
           "SELECT printf('%s%s', 'x', ssn) FROM people",
           "SELECT coalesce(NULL, NULL, ssn) FROM people",
           "SELECT length(ssn) FROM people",
           "SELECT CAST(ssn AS TEXT) FROM people",
           "SELECT ssn || '' FROM people",
           "SELECT id FROM people WHERE ssn = name",
           "SELECT id FROM people WHERE upper(ssn) = '111'",
           "SELECT id FROM people WHERE ssn = '1' || '11'",
           "SELECT id FROM people WHERE ssn = x'00'||''",
           "SELECT h FROM hexed",
           "WITH c AS (SELECT ssn AS s FROM people) SELECT 1 FROM c WHERE s > 'a'",
           "SELECT (SELECT min(ssn) FROM people)",
           "SELECT id FROM people WHERE ssn IN (SELECT ssn FROM people WHERE id = 1)",
           "SELECT ssn FROM people UNION SELECT name FROM people",
           "INSERT INTO plain SELECT ssn FROM people",
           "UPDATE people SET name = ssn WHERE id = 1",
           "SELECT id FROM MAIN.\"People\" WHERE \"SSN\" < '5'",
           "SELECT CASE WHEN id = 1 THEN ssn END FROM people",
           "SELECT a.id FROM people a JOIN people b ON a.ssn = b.ssn",
       }) {
    BOOST_TEST_CONTEXT(sql) {
      const Error e = refused(alice, sql, "0A000");
      BOOST_TEST(e.message.starts_with(det), e.message);
      BOOST_TEST(e.message.find("111") == std::string::npos);
    }
  }
  for (const char* sql : {
           "SELECT id FROM people WHERE card = 'c1'",
           "SELECT id FROM people WHERE card IN ('c1')",
           "SELECT upper(card) FROM people",
           "SELECT id FROM people ORDER BY card",
           "SELECT id FROM people WHERE ssn = card",
       }) {
    BOOST_TEST_CONTEXT(sql) {
      const Error e = refused(alice, sql, "0A000");
      BOOST_TEST(e.message.starts_with("column main.people.card is encrypted (RANDOMIZED): "),
                 e.message);
    }
  }
  // Allowed: bare result columns, through subqueries and views; whether a value is there.
  BOOST_TEST((rows(alice,
                   "SELECT s FROM (SELECT ssn AS s, card FROM people) WHERE card IS "
                   "NULL") == Rows{{"111"}}));
  BOOST_TEST((rows(alice, "SELECT count(*) FROM people WHERE ssn IS NOT NULL") == Rows{{"3"}}));
}

BOOST_AUTO_TEST_CASE(a_view_redefined_after_prepare_is_checked_again) {
  people(*this);
  Connection& alice = client("dba_alice");
  exec(alice, "CREATE VIEW shown AS SELECT id, ssn AS h FROM people");
  auto st = alice.prepare("SELECT h FROM shown WHERE id = 2");
  BOOST_TEST_REQUIRE(st.ok(), (st.ok() ? "" : st.error().message));
  exec(alice, "DROP VIEW shown");
  exec(alice, "CREATE VIEW shown AS SELECT id, hex(ssn) AS h FROM people");
  auto r = (*st)->step();  // SQLite would compile it again over the new body
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code == sqlstate::kFeatureNotSupported, r.error().message);
}

BOOST_AUTO_TEST_CASE(a_trigger_may_not_copy_an_encrypted_value_elsewhere) {
  people(*this);
  Connection& alice = client("dba_alice");
  exec(alice, "CREATE TABLE copies (id INTEGER, v)");
  exec(alice,
       "CREATE TRIGGER people_ids AFTER INSERT ON people BEGIN INSERT INTO copies VALUES (new.id, "
       "new.name); END");
  exec(alice, "INSERT INTO people (id, ssn) VALUES (4, '444')");  // OLD/NEW of plain columns
  exec(alice,
       "CREATE TRIGGER people_copy AFTER UPDATE ON people BEGIN INSERT INTO copies VALUES (new.id, "
       "new.ssn); END");
  const Error e = refused(alice, "UPDATE people SET name = 'q' WHERE id = 4", "0A000");
  BOOST_TEST(e.message.find("main.people.ssn") != std::string::npos, e.message);
  BOOST_TEST((rows(alice, "SELECT count(*) FROM copies") == Rows{{"1"}}));
}

BOOST_AUTO_TEST_CASE(the_rewrite_wraps_exactly_the_encrypted_values) {
  columns::SealedTable t{
      "main.p", {"id", "name", "ssn"}, "id", {{"ssn", columns::ColumnMode::kRandomized}}};
  auto ins = columns::seal_writes("INSERT INTO p VALUES (?1, 'a,b', -5), ($2, \"x\", 'q''s');", t);
  BOOST_TEST_REQUIRE(ins.ok(), (ins.ok() ? "" : ins.error().message));
  BOOST_TEST(*ins ==
             "INSERT INTO p VALUES (?1, 'a,b', dbvault_seal('main.p', 'ssn', -5, CAST(?1 AS "
             "INTEGER))), ($2, \"x\", dbvault_seal('main.p', 'ssn', 'q''s', CAST($2 AS "
             "INTEGER)));");
  auto upd = columns::seal_writes("UPDATE p SET name = (1, 2), ssn = :v WHERE ssn IS NULL", t);
  BOOST_TEST_REQUIRE(upd.ok(), (upd.ok() ? "" : upd.error().message));
  BOOST_TEST(*upd ==
             "UPDATE p SET name = (1, 2), ssn = dbvault_seal('main.p', 'ssn', :v, \"id\") WHERE "
             "ssn IS NULL");
  columns::SealedTable d{
      "main.p", {"id", "ssn"}, "", {{"ssn", columns::ColumnMode::kDeterministic}}};
  auto det = columns::seal_writes("INSERT INTO p (ssn, id) VALUES (x'00', 1)", d);
  BOOST_TEST_REQUIRE(det.ok());
  BOOST_TEST(*det ==
             "INSERT INTO p (ssn, id) VALUES (dbvault_seal('main.p', 'ssn', x'00', NULL), 1)");
  auto comment = columns::seal_writes("INSERT INTO p VALUES (1, 'n', 'v') -- ), (2, 3, 4", t);
  BOOST_TEST_REQUIRE(comment.ok());
  BOOST_TEST(comment->find("(2, 3, 4") != std::string::npos);  // still a comment, not a row
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::storage::test
