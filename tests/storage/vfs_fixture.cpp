#include "tests/storage/vfs_fixture.h"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <iterator>

#include "crypto/random.h"

namespace dbvault::storage::vfs::test {
namespace fs = std::filesystem;

crypto::SecretBytes random_tek() {
  auto key = crypto::random_key(32);
  BOOST_REQUIRE(key.ok());
  return std::move(*key);
}

std::unique_ptr<TdeVfs> make_vfs(const crypto::SecretBytes& key, crypto::AeadAlgorithm algorithm) {
  auto page_key = PageKey::from_secret(algorithm, 1, key);
  BOOST_REQUIRE(page_key.ok());
  auto vfs = TdeVfs::create(std::move(*page_key));
  BOOST_REQUIRE(vfs.ok());
  return std::move(*vfs);
}

void exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  BOOST_REQUIRE_MESSAGE(rc == SQLITE_OK, sql << ": " << (err ? err : "?"));
}

int try_exec(sqlite3* db, const std::string& sql) {
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? rc : sqlite3_extended_errcode(db);
}

std::vector<std::string> column(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  BOOST_REQUIRE_MESSAGE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK,
                        sql << ": " << sqlite3_errmsg(db));
  std::vector<std::string> out;
  int rc = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const auto* text = sqlite3_column_text(st, 0);
    out.emplace_back(text ? reinterpret_cast<const char*>(text) : "NULL");
  }
  sqlite3_finalize(st);
  BOOST_REQUIRE_MESSAGE(rc == SQLITE_DONE, sql << ": " << sqlite3_errmsg(db));
  return out;
}

void keep_wal(sqlite3* db) {
  int ignored = 0;
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, &ignored);
  exec(db, "PRAGMA wal_autocheckpoint = 0");
}

std::vector<std::uint8_t> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  BOOST_REQUIRE(out.good());
}

void copy_database(const fs::path& db, const fs::path& to) {
  fs::create_directories(to);
  for (const char* suffix : {"", "-wal", "-journal", "-tde", "-tdv"}) {
    const fs::path from = db.string() + suffix;
    if (fs::exists(from)) {
      fs::copy_file(from, to / from.filename(), fs::copy_options::overwrite_existing);
    }
  }
}

void remove_database(const fs::path& db) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal", "-tde", "-tdv"}) {
    fs::remove(db.string() + suffix);
  }
}

namespace {
std::vector<std::pair<std::string, std::string>> forms(const std::string& marker) {
  std::string le, be, lower, upper;
  static const char* kHex = "0123456789abcdef";
  static const char* kHexUp = "0123456789ABCDEF";
  for (unsigned char c : marker) {
    le += static_cast<char>(c);
    le += '\0';
    be += '\0';
    be += static_cast<char>(c);
    lower += kHex[c >> 4];
    lower += kHex[c & 15];
    upper += kHexUp[c >> 4];
    upper += kHexUp[c & 15];
  }
  return {{"plain", marker}, {"utf16le", le}, {"utf16be", be}, {"hex", lower}, {"HEX", upper}};
}
}  // namespace

std::vector<std::string> find_markers(const fs::path& dir,
                                      const std::vector<std::string>& markers) {
  std::vector<std::string> found;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const auto bytes = read_file(entry.path());
    const std::string text(bytes.begin(), bytes.end());
    for (const auto& m : markers) {
      for (const auto& [form, needle] : forms(m)) {
        if (text.find(needle) != std::string::npos) {
          found.push_back(entry.path().filename().string() + ": " + form + " " + m);
        }
      }
    }
  }
  return found;
}

VfsFixture::VfsFixture() : key(random_tek()), vfs(make_vfs(key)) {}

DatabasePtr VfsFixture::open(bool wal) {
  EncryptedOpenOptions options;
  options.wal = wal;
  auto db = open_encrypted(db_path(), *vfs, options);
  BOOST_REQUIRE_MESSAGE(db.ok(), (db.ok() ? "" : db.error().message));
  return std::move(*db);
}

}  // namespace dbvault::storage::vfs::test
