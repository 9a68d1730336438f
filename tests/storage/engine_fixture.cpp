#include "tests/storage/engine_fixture.h"

#include <sqlite3.h>

#include <boost/test/unit_test.hpp>

#include "crypto/random.h"
#include "storage/vfs/encrypted_db.h"
#include "storage/vfs/page_key.h"

namespace dbvault::storage::test {

EngineFixture::EngineFixture() {
  std::filesystem::create_directories(engine_db.parent_path());
  std::filesystem::create_directories(dir / "keys");
  std::filesystem::create_directories(dir / "audit");
  engine_vfs = random_vfs();
  EngineOptions o;
  o.database = engine_db;
  o.vfs = engine_vfs;
  o.protected_paths = {dir / "policy.db", dir / "keys", dir / "audit"};
  auto masking_key = crypto::random_key();  // HASH masks (the server derives it from a TEK)
  BOOST_TEST_REQUIRE(masking_key.ok());
  o.masking_key = std::make_shared<const crypto::SecretBytes>(std::move(masking_key).value());
  auto e = Engine::open(o, *vault);
  BOOST_TEST_REQUIRE(e.ok(), "engine: " << (e.ok() ? "" : e.error().message));
  engine = std::move(e).value();
  raw_exec(
      "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, ssn TEXT);"
      "CREATE TABLE financial_records (id INTEGER PRIMARY KEY, amount INTEGER);"
      "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER, note TEXT);"
      "CREATE TABLE log (x);"
      "INSERT INTO users VALUES (1, 'Ann', '123-45-6789'), (2, 'Ben', '987-65-4321');"
      "INSERT INTO financial_records VALUES (1, 100), (2, 250);"
      "INSERT INTO orders VALUES (1, 1, 'first');");
  cast();
  BOOST_TEST_REQUIRE(
      vault->register_table({"", "orders"}, {"id", "user_id", "note"}, "dba_alice").ok());
  BOOST_TEST_REQUIRE(vault->register_table({"", "log"}, {"x"}, "dba_alice").ok());
  Session dba = login("dba_alice");
  ok(dba, "GRANT SELECT, INSERT, UPDATE, DELETE ON orders TO bob");
  ok(dba, "GRANT SELECT, INSERT ON log TO bob");
  Session admin = login("sec_admin");
  ok(admin, "CREATE REALM pii");
  ok(admin, "ALTER REALM pii ADD TABLE users");
  ok(admin, "ALTER REALM pii AUTHORIZE USER bob");
  ok(admin, "CREATE REALM fin REQUIRE VAULT PASSWORD 'fin-secret-2025'");
  ok(admin, "ALTER REALM fin ADD TABLE financial_records");
}

EngineFixture::~EngineFixture() {
  users_.clear();  // connections before the engine, the engine before the vault
  engine.reset();
}

Connection& EngineFixture::as(std::string_view user, std::string program) {
  const std::string key = std::string(user) + "/" + program;
  for (auto& u : users_) {
    if (u.name == key) return *u.connection;
  }
  User u;
  u.name = key;
  u.session = std::make_unique<Session>(login(user, std::move(program)));
  auto c = engine->connect(*u.session);
  BOOST_TEST_REQUIRE(c.ok(), "connect: " << (c.ok() ? "" : c.error().message));
  u.connection = std::move(c).value();
  users_.push_back(std::move(u));
  return *users_.back().connection;
}

Result<std::vector<std::vector<std::string>>> EngineFixture::run_sql(Connection& c,
                                                                     std::string_view sql) {
  auto st = c.prepare(sql);
  if (!st) return std::move(st).error();
  std::vector<std::vector<std::string>> out;
  while (true) {
    auto row = (*st)->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    std::vector<std::string> r;
    for (int i = 0; i < (*st)->column_count(); ++i) {
      const Value v = (*st)->column(i);
      if (const auto* n = std::get_if<std::int64_t>(&v)) {
        r.push_back(std::to_string(*n));
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        r.push_back(*s);
      } else if (const auto* d = std::get_if<double>(&v)) {
        r.push_back(std::to_string(*d));
      } else if (std::holds_alternative<Blob>(v)) {
        r.push_back("<blob>");
      } else {
        r.push_back("NULL");
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::vector<std::string>> EngineFixture::rows(Connection& c, std::string_view sql) {
  auto r = run_sql(c, sql);
  BOOST_TEST_REQUIRE(
      r.ok(), sql << " as " << c.session().user_name() << ": "
                  << (r.ok() ? "" : std::string(r.error().code.code()) + " " + r.error().message));
  return std::move(r).value();
}

Error EngineFixture::refused(Connection& c, std::string_view sql, std::string_view code) {
  auto r = run_sql(c, sql);
  BOOST_TEST_REQUIRE(!r.ok(),
                     sql << " as " << c.session().user_name() << " should fail with " << code);
  BOOST_TEST(r.error().code.code() == code, sql << ": " << r.error().message);
  return r.error();
}

std::shared_ptr<vfs::TdeVfs> EngineFixture::random_vfs() {
  auto bytes = crypto::random_key(32);
  BOOST_TEST_REQUIRE(bytes.ok());
  auto key = vfs::PageKey::from_secret(crypto::AeadAlgorithm::kAes256Gcm, 1, *bytes);
  BOOST_TEST_REQUIRE(key.ok());
  auto made = vfs::TdeVfs::create(std::move(*key));
  BOOST_TEST_REQUIRE(made.ok());
  return std::shared_ptr<vfs::TdeVfs>(std::move(*made));
}

std::int64_t EngineFixture::count(std::string_view table) {
  vfs::EncryptedOpenOptions options;
  options.read_only = true;
  auto opened = vfs::open_encrypted(engine_db, *engine_vfs, options);
  BOOST_TEST_REQUIRE(opened.ok(), (opened.ok() ? "" : opened.error().message));
  sqlite3* db = opened->get();
  sqlite3_stmt* st = nullptr;
  const std::string sql = "SELECT count(*) FROM " + std::string(table);
  std::int64_t n = -1;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    n = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  return n;
}

void EngineFixture::raw_exec(std::string_view sql) {
  vfs::EncryptedOpenOptions options;
  options.create = false;
  auto opened = vfs::open_encrypted(engine_db, *engine_vfs, options);
  BOOST_TEST_REQUIRE(opened.ok(), (opened.ok() ? "" : opened.error().message));
  char* err = nullptr;
  const int rc = sqlite3_exec(opened->get(), std::string(sql).c_str(), nullptr, nullptr, &err);
  const std::string msg = err ? err : "";
  sqlite3_free(err);
  BOOST_TEST_REQUIRE(rc == SQLITE_OK, sql << ": " << msg);
}

}  // namespace dbvault::storage::test
