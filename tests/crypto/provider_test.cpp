// The env and file master-key providers: every fail-closed path, and the happy path.
#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <fstream>

#include "crypto/env_provider.h"
#include "crypto/file_provider.h"
#include "crypto/random.h"
#include "tests/crypto/test_util.h"

using namespace dbvault;
using namespace dbvault::crypto;
using namespace dbvault::crypto::test;

namespace {

const std::string kHex = "8f3a1c9e5b7d20461fa8c3e95d7b0a2c4e6f8091a2b3c4d5e6f708192a3b4c5d";

// Expects a 58000 error whose message contains `part` and not the key material.
void expect_refused(const Result<std::unique_ptr<MasterKeyProvider>>& r, std::string_view part) {
  BOOST_REQUIRE_MESSAGE(!r.ok(), "expected refusal: " << part);
  BOOST_TEST(r.error().code == sqlstate::kSystemError);
  BOOST_TEST_MESSAGE(r.error().message);
  BOOST_TEST(r.error().message.find(part) != std::string::npos, r.error().message);
  BOOST_TEST(r.error().message.find(kHex.substr(0, 16)) == std::string::npos);
}

void write_file(const std::filesystem::path& path, const std::string& content, mode_t mode) {
  std::ofstream(path) << content;
  ::chmod(path.c_str(), mode);
}

std::string key_file(const std::string& id, const std::string& hex) {
  return "dbvault-master-key v1\nid " + id + "\nkey " + hex + "\n";
}

void expect_round_trip(MasterKeyProvider& provider) {
  auto tek = random_key();
  auto wrapped = provider.wrap(*tek);
  BOOST_REQUIRE(wrapped.ok());
  BOOST_TEST(wrapped->size() == 40u);
  auto back = provider.unwrap(*wrapped);
  BOOST_REQUIRE(back.ok());
  BOOST_TEST(back->equals(*tek));
  (*wrapped)[5] ^= 1;
  auto bad = provider.unwrap(*wrapped);
  BOOST_REQUIRE(!bad.ok());
  BOOST_TEST(bad.error().code == sqlstate::kSystemError);
  BOOST_TEST(provider.check().ok());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(env_provider)

BOOST_AUTO_TEST_CASE(valid_variables_give_a_working_provider) {
  ScopedEnv hex("DBVAULT_MASTER_KEY_HEX", kHex);
  ScopedEnv id("DBVAULT_MASTER_KEY_ID", "prod-2025.01");
  auto p = open_env_provider();
  BOOST_REQUIRE(p.ok());
  BOOST_TEST((*p)->kind() == "env");
  BOOST_TEST((*p)->key_id() == "prod-2025.01");
  expect_round_trip(**p);
  ScopedEnv upper("DBVAULT_MASTER_KEY_HEX",
                  "8F3A1C9E5B7D20461FA8C3E95D7B0A2C4E6F8091A2B3C4D5E6F708192A3B4C5D");
  auto q = open_env_provider();
  BOOST_REQUIRE(q.ok());
  auto kcv1 = key_check_value(**p), kcv2 = key_check_value(**q);
  BOOST_TEST((*kcv1 == *kcv2));  // same key, either case
}

BOOST_AUTO_TEST_CASE(every_malformed_environment_is_refused) {
  ScopedEnv id("DBVAULT_MASTER_KEY_ID", "k1");
  {
    ScopedEnv hex("DBVAULT_MASTER_KEY_HEX", std::nullopt);
    expect_refused(open_env_provider(), "DBVAULT_MASTER_KEY_HEX is not set");
  }
  {
    ScopedEnv hex("DBVAULT_MASTER_KEY_HEX", "");
    expect_refused(open_env_provider(), "is not set");
  }
  {
    ScopedEnv hex("DBVAULT_MASTER_KEY_HEX", kHex.substr(0, 63));
    expect_refused(open_env_provider(), "exactly 64 hexadecimal characters (got 63)");
  }
  {
    ScopedEnv hex("DBVAULT_MASTER_KEY_HEX", kHex + "0");
    expect_refused(open_env_provider(), "(got 65)");
  }
  {
    ScopedEnv hex("DBVAULT_MASTER_KEY_HEX", kHex.substr(0, 32));
    expect_refused(open_env_provider(), "(got 32)");
  }
  {
    std::string bad = kHex;
    bad[10] = 'g';
    ScopedEnv hex("DBVAULT_MASTER_KEY_HEX", bad);
    expect_refused(open_env_provider(), "not hexadecimal at position 11");
  }
  {
    ScopedEnv hex("DBVAULT_MASTER_KEY_HEX", " " + kHex.substr(1));
    expect_refused(open_env_provider(), "position 1");
  }
  {
    ScopedEnv hex("DBVAULT_MASTER_KEY_HEX", std::string(64, '0'));
    expect_refused(open_env_provider(), "all zeros");
  }
}

BOOST_AUTO_TEST_CASE(missing_or_invalid_key_id_is_refused) {
  ScopedEnv hex("DBVAULT_MASTER_KEY_HEX", kHex);
  {
    ScopedEnv id("DBVAULT_MASTER_KEY_ID", std::nullopt);
    expect_refused(open_env_provider(), "DBVAULT_MASTER_KEY_ID is not set");
  }
  {
    ScopedEnv id("DBVAULT_MASTER_KEY_ID", "has space");
    expect_refused(open_env_provider(), "DBVAULT_MASTER_KEY_ID must be");
  }
  {
    ScopedEnv id("DBVAULT_MASTER_KEY_ID", std::string(65, 'a'));
    expect_refused(open_env_provider(), "DBVAULT_MASTER_KEY_ID must be");
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(file_provider)

BOOST_AUTO_TEST_CASE(created_key_file_is_0600_and_opens_to_the_same_key) {
  TempDir dir("keyfile");
  const auto path = dir.path() / "master.key";
  auto created = create_file_provider(path, "laptop-1");
  BOOST_REQUIRE(created.ok());
  struct stat st {};
  BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  auto opened = open_file_provider(path);
  BOOST_REQUIRE(opened.ok());
  BOOST_TEST((*opened)->kind() == "file");
  BOOST_TEST((*opened)->key_id() == "laptop-1");
  BOOST_TEST((*key_check_value(**created) == *key_check_value(**opened)));
  expect_round_trip(**opened);
  auto again = create_file_provider(path, "laptop-2");
  BOOST_REQUIRE(!again.ok());
  BOOST_TEST(again.error().code == sqlstate::kDuplicateObject);
  BOOST_TEST(!create_file_provider(dir.path() / "x.key", "bad id").ok());
  BOOST_TEST(!std::filesystem::exists(dir.path() / "x.key"));
}

BOOST_AUTO_TEST_CASE(group_or_other_permission_bits_are_refused) {
  TempDir dir("keyfile");
  const auto path = dir.path() / "master.key";
  for (mode_t mode : {0644, 0640, 0604, 0660, 0602, 0620, 0610, 0601}) {
    write_file(path, key_file("k1", kHex), mode);
    expect_refused(open_file_provider(path), "must be readable by its owner only");
  }
  write_file(path, key_file("k1", kHex), 0400);
  BOOST_TEST(open_file_provider(path).ok());
}

BOOST_AUTO_TEST_CASE(missing_symlinked_foreign_or_non_regular_files_are_refused) {
  TempDir dir("keyfile");
  const auto path = dir.path() / "master.key";
  expect_refused(open_file_provider(path), "does not exist");
  write_file(path, key_file("k1", kHex), 0600);
  std::filesystem::create_symlink(path, dir.path() / "link.key");
  expect_refused(open_file_provider(dir.path() / "link.key"), "symbolic link");
  std::filesystem::create_directory(dir.path() / "dir.key");
  ::chmod((dir.path() / "dir.key").c_str(), 0700);
  expect_refused(open_file_provider(dir.path() / "dir.key"), "not a regular file");
  if (::geteuid() == 0) {  // only root can give a file away
    BOOST_REQUIRE(::chown(path.c_str(), 1, 1) == 0);
    expect_refused(open_file_provider(path), "is owned by uid 1");
  }
}

BOOST_AUTO_TEST_CASE(malformed_key_files_are_refused) {
  TempDir dir("keyfile");
  const auto path = dir.path() / "master.key";
  const std::pair<std::string, std::string> cases[] = {
      {"", "malformed"},
      {"dbvault-master-key v2\nid k1\nkey " + kHex + "\n", "malformed"},
      {"dbvault-master-key v1\nid k1\nkey " + kHex, "malformed"},  // no final newline
      {"dbvault-master-key v1\nkey " + kHex + "\nid k1\n", "malformed"},
      {key_file("k1", kHex) + "extra\n", "malformed"},
      {key_file("k 1", kHex), "invalid key id"},
      {key_file("k1", kHex.substr(2)), "(got 62)"},
      {key_file("k1", kHex.substr(0, 63) + "z"), "not hexadecimal"},
      {key_file("k1", std::string(64, '0')), "all zeros"},
      {std::string(600, 'a'), "unexpected size"},
  };
  for (const auto& [content, part] : cases) {
    BOOST_TEST_CONTEXT(part) {
      std::filesystem::remove(path);
      write_file(path, content, 0600);
      expect_refused(open_file_provider(path), part);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
