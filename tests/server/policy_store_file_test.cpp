// policy.db at rest (server/runtime/policy_store_file.h): a data directory made by
// `dbvault init` holds it encrypted; a plaintext one from before is encrypted once at start;
// another directory's policy.db, or a key store without the policy key, is refused with 58000.
#define BOOST_TEST_MODULE server_policy_store_file
#include "server/runtime/policy_store_file.h"

#include <sqlite3.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include "crypto/file_provider.h"
#include "server/init_command.h"
#include "server/runtime/services.h"
#include "storage/vfs/encrypted_db.h"
#include "tests/support/temp_dir.h"
#include "vault/policy_store.h"

namespace dbvault::server {
namespace {

namespace fs = std::filesystem;

std::string bytes_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Every byte of policy.db and its side files.
std::string policy_files(const DataDir& d) {
  std::string all;
  for (const char* suffix : {"", "-wal", "-journal", "-tde"}) {
    const fs::path p = d.policy().string() + suffix;
    if (fs::exists(p)) all += bytes_of(p);
  }
  return all;
}

void remove_policy_files(const DataDir& d) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal", "-tde", "-tdv"})
    fs::remove(fs::path(d.policy().string() + suffix));
}

// The accounts the vault reads from its policy store (init made three).
std::int64_t user_count(Services& s) {
  std::int64_t n = -1;
  BOOST_REQUIRE(s.policy_store != nullptr);
  auto read = s.policy_store->read([&](vault::PolicyStore::Db& db) -> Status {
    auto st = db.prepare("SELECT count(*) FROM users");
    if (!st) return std::move(st).error();
    auto row = st->step();
    if (!row) return std::move(row).error();
    n = st->int64(0);
    return ok_status();
  });
  BOOST_REQUIRE_MESSAGE(read.ok(), (read.ok() ? "" : read.error().message));
  return n;
}

struct InitDir {
  test::TempDir tmp{"policy_store_file"};
  SystemClock clock;

  InitDir() {
    ::setenv("DBVAULT_DBA_PASSWORD", "dba-password-1", 1);
    ::setenv("DBVAULT_SECADMIN_PASSWORD", "secadmin-password-1", 1);
    ::setenv("DBVAULT_AUDITOR_PASSWORD", "auditor-password-1", 1);
  }
  DataDir init(const std::string& name) {
    std::ostringstream out, err;
    const DataDir d{tmp.path() / name};
    BOOST_REQUIRE_MESSAGE(run_init_command({"--data-dir", d.root.string()}, out, err) == 0,
                          err.str());
    return d;
  }
  Result<std::unique_ptr<Services>> start(const DataDir& d) {
    ServerConfig config;
    BOOST_REQUIRE(load_config_file(d.config(), config).ok());
    return open_services(d, config, clock, {});
  }
  std::unique_ptr<crypto::TekStore> key_store(const DataDir& d) {
    auto mek = crypto::open_file_provider(d.master_key_file());
    BOOST_REQUIRE(mek.ok());
    auto keys = crypto::TekStore::open(d.keys(), std::move(*mek), clock);
    BOOST_REQUIRE_MESSAGE(keys.ok(), (keys.ok() ? "" : keys.error().message));
    return std::move(*keys);
  }
  // Replaces d's policy.db by a plaintext SQLite copy of it: a data directory as a dbvault
  // from before policy.db was encrypted left it.
  void decrypt_policy_store(const DataDir& d) {
    auto keys = key_store(d);
    auto vfs = open_policy_vfs(*keys);
    BOOST_REQUIRE(vfs.ok());
    const fs::path plain = d.root / "plain.db";
    {
      storage::vfs::EncryptedOpenOptions ro;
      ro.create = false;
      ro.read_only = true;
      auto src = storage::vfs::open_encrypted(d.policy(), **vfs, ro);
      BOOST_REQUIRE_MESSAGE(src.ok(), (src.ok() ? "" : src.error().message));
      sqlite3* raw = nullptr;
      BOOST_REQUIRE(sqlite3_open(plain.c_str(), &raw) == SQLITE_OK);
      storage::vfs::DatabasePtr dst(raw);
      sqlite3_backup* b = sqlite3_backup_init(raw, "main", src->get(), "main");
      BOOST_REQUIRE(b != nullptr);
      BOOST_REQUIRE(sqlite3_backup_step(b, -1) == SQLITE_DONE);
      BOOST_REQUIRE(sqlite3_backup_finish(b) == SQLITE_OK);
    }
    remove_policy_files(d);
    fs::rename(plain, d.policy());
  }
};

BOOST_FIXTURE_TEST_CASE(init_writes_the_policy_store_encrypted, InitDir) {
  const DataDir d = init("live");
  const std::string bytes = policy_files(d);
  BOOST_TEST(bytes.size() > 4096u);
  BOOST_TEST(!is_plaintext_sqlite(d.policy()));
  // The schema's text and the bootstrap accounts' names are in every plaintext policy.db.
  for (const char* needle : {"SQLite format 3", "CREATE TABLE", "secadmin", "auditor"})
    BOOST_TEST(bytes.find(needle) == std::string::npos, needle);
  auto s = start(d);
  BOOST_REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
  BOOST_TEST(user_count(**s) == 3);
}

BOOST_FIXTURE_TEST_CASE(a_plaintext_policy_store_is_encrypted_once_at_start, InitDir) {
  const DataDir d = init("old");
  decrypt_policy_store(d);
  BOOST_REQUIRE(is_plaintext_sqlite(d.policy()));
  BOOST_REQUIRE(bytes_of(d.policy()).find("secadmin") != std::string::npos);
  {
    auto s = start(d);
    BOOST_REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
    BOOST_TEST(user_count(**s) == 3);
  }
  BOOST_TEST(!is_plaintext_sqlite(d.policy()));
  BOOST_TEST(policy_files(d).find("secadmin") == std::string::npos);
  BOOST_TEST(!fs::exists(d.policy().string() + ".encrypting"));
  auto again = start(d);  // the second start finds it encrypted and opens it as it is
  BOOST_REQUIRE_MESSAGE(again.ok(), (again.ok() ? "" : again.error().message));
  BOOST_TEST(user_count(**again) == 3);
}

BOOST_FIXTURE_TEST_CASE(a_copy_left_by_a_crashed_migration_is_discarded, InitDir) {
  const DataDir d = init("crashed");
  decrypt_policy_store(d);
  std::ofstream(d.policy().string() + ".encrypting") << "half a copy";
  auto s = start(d);
  BOOST_REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
  BOOST_TEST(!fs::exists(d.policy().string() + ".encrypting"));
  BOOST_TEST(!is_plaintext_sqlite(d.policy()));
}

BOOST_FIXTURE_TEST_CASE(another_directorys_policy_store_is_refused_with_58000, InitDir) {
  const DataDir a = init("a");
  const DataDir b = init("b");
  remove_policy_files(a);
  for (const char* suffix : {"", "-tde", "-tdv"}) {
    const fs::path from = b.policy().string() + suffix;
    if (fs::exists(from)) fs::copy_file(from, a.policy().string() + suffix);
  }
  auto s = start(a);
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.error().code.code() == "58000", s.error().message);
  BOOST_TEST(s.error().message.find("policy store") != std::string::npos, s.error().message);
}

BOOST_FIXTURE_TEST_CASE(a_key_store_without_the_policy_key_is_refused_with_58000, InitDir) {
  const DataDir d = init("nokey");
  BOOST_REQUIRE(key_store(d)->destroy(crypto::KeyScope::policy()).ok());
  auto s = start(d);
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.error().code.code() == "58000", s.error().message);
  BOOST_TEST(s.error().message.find("no policy key") != std::string::npos, s.error().message);
}

}  // namespace
}  // namespace dbvault::server
