// Encrypted tablespaces on a real engine, vault, key store and KeyGate: the file is made
// through the VFS under the tablespace's own TEK, a session's connection attaches it only
// after the gate released that key to the session (audited), an unauthorized session is
// refused by the vault (42501) and causes no release, LOCK REALM detaches it, names resolve
// one way, and DROP TABLESPACE refuses a tablespace that holds a table.
#include <stdlib.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "crypto/env_provider.h"
#include "crypto/key_gate.h"
#include "crypto/tek_store.h"
#include "grammar/parser.h"
#include "storage/tablespace_catalog.h"
#include "storage/tablespace_keys.h"
#include "storage/vfs/page_key.h"
#include "tests/crypto/gate_fixtures.h"
#include "tests/storage/engine_fixture.h"
#include "vault/key_authorizer.h"

namespace dbvault::storage::test {
namespace {

constexpr std::string_view kMarker = "TSMARKER-7c1e-confidential";
const crypto::SessionRef kServer{0, "dbvault"};

// The gate's keys for one session, counting every release asked for (the gate audits a key
// once per session and version, so its records alone cannot show a second attempt).
class CountingKeys final : public TablespaceKeys {
 public:
  CountingKeys(std::shared_ptr<TablespaceKeys> inner, std::size_t& count)
      : inner_(std::move(inner)), count_(count) {}
  bool may_release(const crypto::KeyScope& scope) const override {
    return inner_->may_release(scope);
  }
  Result<crypto::TekHandle> release(const crypto::KeyScope& scope) override {
    ++count_;
    return inner_->release(scope);
  }

 private:
  std::shared_ptr<TablespaceKeys> inner_;
  std::size_t& count_;
};

struct TablespaceFixture : EngineFixture {
  TablespaceFixture() {
    ::setenv("DBVAULT_MASTER_KEY_HEX",
             "8f3a1c9e5b7d20461fa8c3e95d7b0a2c4e6f8091a2b3c4d5e6f708192a3b4c5d", 1);
    ::setenv("DBVAULT_MASTER_KEY_ID", "ts-test-1", 1);
    auto mek = crypto::open_env_provider();
    ::unsetenv("DBVAULT_MASTER_KEY_HEX");
    ::unsetenv("DBVAULT_MASTER_KEY_ID");
    BOOST_REQUIRE(mek.ok());
    auto s = crypto::TekStore::open(dir / "keys", std::move(*mek), clock);
    BOOST_REQUIRE(s.ok());
    store = std::move(*s);
    wire_keys();
  }
  ~TablespaceFixture() {
    sessions.clear();
    vault->set_key_listener(nullptr);
  }

  void wire_keys() {
    vault_authz = std::make_unique<vault::KeyAuthorizer>(*vault, engine->tablespaces(), clock);
    authz = std::make_unique<TablespaceKeyAuthorizer>(*vault_authz, *vault, engine->tablespaces(),
                                                      kServer);
    gate = std::make_unique<crypto::KeyGate>(*store, *authz, key_audit, clock);
    engine->set_server_keys(std::make_shared<GateTablespaceKeys>(*gate, *authz, kServer));
    vault_authz->set_gate(gate.get());
    vault->set_key_listener(vault_authz.get());
  }

  struct Client {
    std::uint64_t id;
    std::unique_ptr<vault::Session> session;
    std::unique_ptr<Connection> conn;
    std::unique_ptr<std::size_t> release_calls;
  };
  // A session of `user` whose connection gets tablespace keys through the gate.
  Connection& client(std::string_view user) {
    for (auto& c : sessions) {
      if (c.session->user_name() == user) return *c.conn;
    }
    Client c{next_id++, std::make_unique<vault::Session>(login(user)), nullptr,
             std::make_unique<std::size_t>(0)};
    vault_authz->attach(c.id, *c.session);
    auto conn = engine->connect(*c.session);
    BOOST_TEST_REQUIRE(conn.ok());
    c.conn = std::move(*conn);
    c.conn->set_tablespace_keys(std::make_shared<CountingKeys>(
        std::make_shared<GateTablespaceKeys>(*gate, *authz,
                                             crypto::SessionRef{c.id, std::string(user)}),
        *c.release_calls));
    sessions.push_back(std::move(c));
    return *sessions.back().conn;
  }
  Client& find(std::string_view user) {
    client(user);
    for (auto& c : sessions) {
      if (c.session->user_name() == user) return c;
    }
    throw std::logic_error("no session");
  }
  vault::Session& session_of(std::string_view user) { return *find(user).session; }
  std::size_t release_calls(std::string_view user) { return *find(user).release_calls; }
  std::uint64_t id_of(std::string_view user) { return find(user).id; }

  std::shared_ptr<const vfs::PageKey> server_key(std::string_view ts) {
    auto handle = gate->release(kServer, TablespaceCatalog::scope_of(ts));
    BOOST_TEST_REQUIRE(handle.ok(), (handle.ok() ? "" : handle.error().message));
    auto key = vfs::PageKey::from_handle(std::move(*handle));
    BOOST_TEST_REQUIRE(key.ok());
    return *key;
  }
  void create_ts(std::string_view ts,
                 crypto::AeadAlgorithm algorithm = crypto::AeadAlgorithm::kAes256Gcm) {
    BOOST_TEST_REQUIRE(store->create_tek(TablespaceCatalog::scope_of(ts), algorithm).ok());
    auto s = engine->create_tablespace(ts, server_key(ts));
    BOOST_TEST_REQUIRE(s.ok(), (s.ok() ? "" : s.error().message));
  }
  Status create_table(Connection& c, std::string_view sql) {
    auto parsed = grammar::parse(sql);
    BOOST_TEST_REQUIRE(parsed.ok());
    return c.create_table_in(std::get<ast::CreateTable>(parsed->node));
  }
  // secure: ts holding secure.cards(id, note) with a marker row; realm vaultr (password)
  // protects secure.cards and authorizes bob; bob may SELECT and INSERT it.
  void secure_cards() {
    create_ts("secure");
    auto s = create_table(client("dba_alice"),
                          "CREATE TABLE cards (id INTEGER, note TEXT) "
                          "TABLESPACE secure");
    BOOST_TEST_REQUIRE(s.ok(), (s.ok() ? "" : s.error().message));
    Session dba = login("dba_alice");
    ok(dba, "GRANT SELECT, INSERT ON secure.cards TO bob");
    Session admin = login("sec_admin");
    ok(admin, "CREATE REALM vaultr REQUIRE VAULT PASSWORD 'vr-secret-2026'");
    ok(admin, "ALTER REALM vaultr ADD TABLE secure.cards");
    ok(admin, "ALTER REALM vaultr AUTHORIZE USER bob");
  }
  std::size_t releases_to(std::uint64_t session, std::string_view ts) {
    std::size_t n = 0;
    for (const auto& e : key_audit.events()) {
      n += e.session_id == session && e.scope == TablespaceCatalog::scope_of(ts) ? 1 : 0;
    }
    return n;
  }
  std::filesystem::path file_of(std::string_view ts) {
    auto file = engine->tablespaces().file(engine_db.parent_path(), ts);
    BOOST_TEST_REQUIRE(file.has_value());
    return *file;
  }
  std::string file_bytes(std::string_view ts) {
    std::string all;
    for (const char* suffix : {"", "-wal"}) {
      std::ifstream in(file_of(ts).string() + suffix, std::ios::binary);
      all.append(std::istreambuf_iterator<char>(in), {});
    }
    return all;
  }

  crypto::test::InMemoryAuditSink key_audit;
  std::unique_ptr<crypto::TekStore> store;
  std::unique_ptr<vault::KeyAuthorizer> vault_authz;
  std::unique_ptr<TablespaceKeyAuthorizer> authz;
  std::unique_ptr<crypto::KeyGate> gate;
  std::uint64_t next_id = 100;
  std::vector<Client> sessions;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(tablespaces, TablespaceFixture)

BOOST_AUTO_TEST_CASE(create_tablespace_makes_an_encrypted_file_and_records_it) {
  create_ts("secure", crypto::AeadAlgorithm::kChaCha20Poly1305);
  const std::string bytes = file_bytes("secure");
  BOOST_TEST(bytes.substr(0, 4) == "DBVT");
  const auto info = engine->tablespaces().find("SECURE");
  BOOST_TEST_REQUIRE(info.has_value());
  BOOST_TEST((info->algorithm == crypto::AeadAlgorithm::kChaCha20Poly1305));
  BOOST_TEST(engine->create_tablespace("secure", server_key("secure")).error().code.code() ==
             "42710");
  for (const char* bad : {"main", "temp", "default", "sqlite_x", "dbvault_t", "9a", "a-b", ""}) {
    BOOST_TEST(TablespaceCatalog::normalize_name(bad).error().code.code() == "22023", bad);
  }
}

BOOST_AUTO_TEST_CASE(an_authorized_session_writes_rows_that_reach_no_file_in_plaintext) {
  secure_cards();
  Connection& bob = client("bob");
  refused(bob, "SELECT * FROM secure.cards");  // locked realm: the vault says no
  refused(bob, "SELECT count(*) FROM cards");  // an unqualified name reaches the vault too
  BOOST_TEST(releases_to(id_of("bob"), "secure") == 0u);
  BOOST_TEST(release_calls("bob") == 0u);
  ok(session_of("bob"), "UNLOCK REALM vaultr PASSWORD 'vr-secret-2026'");
  exec(bob, "INSERT INTO secure.cards VALUES (1, '" + std::string(kMarker) + "')");
  BOOST_TEST(rows(bob, "SELECT note FROM cards")[0][0] == kMarker);  // unqualified: ts.cards
  BOOST_TEST(releases_to(id_of("bob"), "secure") == 1u);
  BOOST_TEST(file_bytes("secure").find(kMarker) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_unauthorized_session_gets_42501_from_the_vault_and_no_key) {
  secure_cards();
  Connection& alice = client("dba_alice");
  // She created the table while the tablespace was empty (an empty tablespace's key is any
  // session's); the policy change that registered the table withdrew that key.
  const std::size_t before = releases_to(id_of("dba_alice"), "secure");
  const std::size_t asked = release_calls("dba_alice");
  for (const char* sql :
       {"SELECT * FROM secure.cards", "SELECT * FROM cards",
        "SELECT count(*) FROM \"SECURE\".\"CARDS\"", "INSERT INTO secure.cards VALUES (2, 'x')"}) {
    const Error e = refused(alice, sql, "42501");
    BOOST_TEST(e.message.find("vaultr") != std::string::npos, sql << ": " << e.message);
  }
  BOOST_TEST(releases_to(id_of("dba_alice"), "secure") == before);
  BOOST_TEST(release_calls("dba_alice") == asked);  // not even attempted
  // main.cards is not the tablespace's table, and cannot be made to shadow it.
  refused(alice, "SELECT * FROM main.cards", "42P01");
  refused(alice, "CREATE TABLE cards (a)", "42P07");
  refused(alice, "CREATE TABLE secure.other (a)", "42501");
}

BOOST_AUTO_TEST_CASE(lock_realm_detaches_the_tablespace_even_for_a_prepared_statement) {
  secure_cards();
  Connection& bob = client("bob");
  vault::Session& s = session_of("bob");
  ok(s, "UNLOCK REALM vaultr PASSWORD 'vr-secret-2026'");
  exec(bob, "INSERT INTO secure.cards VALUES (1, 'x')");
  auto held = bob.prepare("SELECT note FROM secure.cards");
  BOOST_TEST_REQUIRE(held.ok());
  ok(s, "LOCK REALM vaultr");
  bob.release_locked_tablespaces();
  BOOST_TEST(gate->cached_keys() <= 1u);  // at most the server's
  auto step = (*held)->step();
  BOOST_TEST_REQUIRE(!step.ok());
  BOOST_TEST(step.error().code.code() == "42501");
  refused(bob, "SELECT note FROM secure.cards", "42501");
}

BOOST_AUTO_TEST_CASE(a_key_locked_under_a_prepared_statement_stops_it_though_the_vault_allows) {
  secure_cards();
  Connection& bob = client("bob");
  ok(session_of("bob"), "UNLOCK REALM vaultr PASSWORD 'vr-secret-2026'");
  exec(bob, "INSERT INTO secure.cards VALUES (1, 'x')");
  auto held = bob.prepare("SELECT note FROM secure.cards");
  BOOST_TEST_REQUIRE(held.ok());
  const crypto::KeyScope scope = TablespaceCatalog::scope_of("secure");
  gate->lock_scopes(std::span<const crypto::KeyScope>(&scope, 1));  // e.g. the cache's TTL
  auto step = (*held)->step();
  BOOST_TEST_REQUIRE(!step.ok());
  BOOST_TEST(step.error().code.code() == "42501");
  BOOST_TEST(step.error().message.find("tablespace \"secure\"") != std::string::npos);
  // The next statement outside a transaction detaches it and asks the gate again.
  BOOST_TEST(rows(bob, "SELECT note FROM secure.cards").size() == 1u);
  BOOST_TEST(release_calls("bob") == 2u);
}

BOOST_AUTO_TEST_CASE(drop_tablespace_refuses_a_tablespace_that_holds_a_table) {
  secure_cards();
  auto e = engine->drop_tablespace("secure", server_key("secure"));
  BOOST_TEST_REQUIRE(!e.ok());
  BOOST_TEST(e.error().code.code() == "55000");
  BOOST_TEST(e.error().message.find("secure.cards") != std::string::npos);
  create_ts("empty");
  const auto empty_file = file_of("empty");
  BOOST_TEST(std::filesystem::exists(empty_file));
  BOOST_TEST(engine->drop_tablespace("empty", server_key("empty")).ok());
  BOOST_TEST(!engine->tablespaces().find("empty").has_value());
  BOOST_TEST(!std::filesystem::exists(empty_file));
  BOOST_TEST(engine->drop_tablespace("empty", server_key("secure")).error().code.code() == "42704");
}

BOOST_AUTO_TEST_CASE(the_catalog_survives_a_restart) {
  secure_cards();
  sessions.clear();
  vault->set_key_listener(nullptr);
  engine.reset();
  EngineOptions o;
  o.database = engine_db;
  o.vfs = engine_vfs;
  auto e = Engine::open(o, *vault);
  BOOST_TEST_REQUIRE(e.ok());
  engine = std::move(*e);
  wire_keys();
  const auto info = engine->tablespaces().find("secure");
  BOOST_TEST_REQUIRE(info.has_value());
  BOOST_TEST_REQUIRE(info->tables.size() == 1u);
  BOOST_TEST(info->tables[0].name == "cards");
  refused(client("dba_alice"), "SELECT * FROM cards", "42501");
}

BOOST_AUTO_TEST_CASE(no_file_name_shows_a_tablespace_name) {
  create_ts("payrollsecret");
  const auto file = file_of("payrollsecret");
  BOOST_TEST(file.parent_path() == engine_db.parent_path());
  BOOST_TEST(file.filename().string().size() == std::string("ts_.db").size() + 32);
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    BOOST_TEST(f.path().filename().string().find("payrollsecret") == std::string::npos,
               f.path().string());
  }
  create_ts("other");  // each its own random id
  BOOST_TEST(file_of("other") != file);
}

// A directory of the version that named a tablespace's files after it (ts_<name>.db, no file
// id in the catalog) is migrated when the engine opens: renamed, recorded, rows intact.
BOOST_AUTO_TEST_CASE(files_named_after_their_tablespace_are_renamed_at_open) {
  secure_cards();
  ok(session_of("bob"), "UNLOCK REALM vaultr PASSWORD 'vr-secret-2026'");
  exec(client("bob"), "INSERT INTO secure.cards VALUES (7, 'kept')");
  const auto current = file_of("secure");
  sessions.clear();
  vault->set_key_listener(nullptr);
  engine.reset();
  const auto legacy = engine_db.parent_path() / "ts_secure.db";
  for (const char* suffix : {"", "-wal", "-shm", "-tde", "-tdv"}) {
    std::error_code ec;
    std::filesystem::rename(current.string() + suffix, legacy.string() + suffix, ec);
  }
  raw_exec("UPDATE dbvault_tablespaces SET file = NULL, moving = 0");
  EngineOptions o;
  o.database = engine_db;
  o.vfs = engine_vfs;
  auto e = Engine::open(o, *vault);
  BOOST_TEST_REQUIRE(e.ok(), (e.ok() ? "" : e.error().message));
  engine = std::move(*e);
  wire_keys();
  const auto migrated = file_of("secure");
  BOOST_TEST(migrated != legacy);
  BOOST_TEST(std::filesystem::exists(migrated));
  BOOST_TEST(!std::filesystem::exists(legacy));
  ok(session_of("bob"), "UNLOCK REALM vaultr PASSWORD 'vr-secret-2026'");
  BOOST_TEST(rows(client("bob"), "SELECT note FROM secure.cards WHERE id = 7")[0][0] == "kept");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::storage::test
