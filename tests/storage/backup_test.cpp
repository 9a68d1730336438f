// The encrypted backup file (storage/backup_*.h, docs/encryption.md §10): what it restores,
// and that every way of damaging it — a flipped byte anywhere, truncation at and between chunk
// boundaries, chunks reordered, spliced from another backup or appended — is refused with the
// right SQLSTATE and leaves nothing restored.
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <map>
#include <random>

#include "crypto/software_master_key.h"
#include "storage/backup_reader.h"
#include "storage/backup_writer.h"
#include "tests/support/temp_dir.h"

namespace dbvault::storage::backup {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

std::unique_ptr<crypto::MasterKeyProvider> software_key(const std::string& id, std::uint8_t fill) {
  crypto::SecretBytes key(32);
  for (std::size_t i = 0; i < key.size(); ++i) key.data()[i] = static_cast<std::uint8_t>(fill + i);
  return crypto::internal::make_software_provider("env", id, std::move(key));
}

Bytes read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
void write_all(const fs::path& p, const Bytes& b) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<long>(b.size()));
}
Bytes text(std::string_view s) { return {s.begin(), s.end()}; }
template <typename R>
std::string why(const R& r) {
  return r.ok() ? std::string() : r.error().message;
}

struct Fixture {
  test::TempDir dir{"backup"};
  std::unique_ptr<crypto::MasterKeyProvider> mek = software_key("mek-1", 1);
  std::map<std::string, Bytes> files;

  Fixture() {
    files["policy.db"] = text("realm MARKER_REALM_7Q and more policy");
    files["data/main.db"] = Bytes(300, 0);
    for (std::size_t i = 0; i < 300; ++i) files["data/main.db"][i] = static_cast<std::uint8_t>(i);
    files["audit/seg-1"] = text("MARKER_AUDIT_9Z");
    files["empty"] = {};
  }
  crypto::Argon2Params cheap() const {
    crypto::Argon2Params p;
    p.memory_kib = 64;
    p.iterations = 1;
    return p;
  }
  Result<BackupSummary> write(const fs::path& target, std::uint32_t chunk = 64,
                              std::string_view password = "restore-pw") {
    WriterOptions o;
    o.target = target;
    o.mek = mek.get();
    o.password = SecretString(password);
    o.argon2 = cheap();
    o.created_unix = 1'700'000'000;
    o.chunk_size = chunk;
    auto w = BackupWriter::create(std::move(o));
    if (!w) return std::move(w).error();
    for (const auto& [name, bytes] : files) DBV_RETURN_IF_ERROR((*w)->add_bytes(name, 0600, bytes));
    return (*w)->finish();
  }
  Result<RestoreSummary> restore(const fs::path& from, const fs::path& to,
                                 std::string_view password = "restore-pw",
                                 crypto::MasterKeyProvider* key = nullptr) {
    return restore_files(from, key != nullptr ? *key : *mek, SecretString(password), to);
  }
  // The byte offsets of each chunk frame (its length field) in a backup file.
  std::vector<std::size_t> chunk_offsets(const Bytes& file) const {
    std::size_t at = 0;
    auto h = parse(file, at);
    BOOST_REQUIRE(h.ok());
    std::vector<std::size_t> out;
    while (at < file.size()) {
      out.push_back(at);
      const std::size_t len = (std::size_t{file[at]} << 24) | (std::size_t{file[at + 1]} << 16) |
                              (std::size_t{file[at + 2]} << 8) | file[at + 3];
      at += 4 + len + 28;
    }
    return out;
  }
  void expect_refused(const fs::path& backup, SqlState code) {
    const fs::path out = dir.path() / "restored";
    auto r = restore(backup, out);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().code.code() == code.code(), r.error().message);
    BOOST_TEST(!fs::exists(out));
  }
};

BOOST_FIXTURE_TEST_CASE(round_trip_restores_every_file_byte_for_byte, Fixture) {
  const fs::path backup = dir.path() / "b.enc";
  auto sum = write(backup);
  BOOST_REQUIRE_MESSAGE(sum.ok(), why(sum));
  BOOST_TEST(sum->files == files.size());
  BOOST_TEST(sum->chunks > 3u);  // 64-byte chunks: the payload spans many
  const fs::path out = dir.path() / "restored";
  auto r = restore(backup, out);
  BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
  BOOST_TEST(r->files == files.size());
  for (const auto& [name, bytes] : files) {
    BOOST_TEST((read_all(out / name) == bytes), name);
    BOOST_TEST(((fs::status(out / name).permissions() & fs::perms::others_all) == fs::perms::none));
  }
  auto header = read_header(backup);
  BOOST_REQUIRE(header.ok());
  BOOST_TEST(header->key_id == "mek-1");
  BOOST_TEST(header->provider_kind == "env");
}

BOOST_FIXTURE_TEST_CASE(backup_file_holds_no_plaintext, Fixture) {
  const fs::path backup = dir.path() / "b.enc";
  BOOST_REQUIRE(write(backup, kDefaultChunkSize).ok());
  const Bytes file = read_all(backup);
  const std::string s(file.begin(), file.end());
  for (std::string m : {"MARKER_REALM_7Q", "MARKER_AUDIT_9Z", "policy.db", "restore-pw"}) {
    BOOST_TEST(s.find(m) == std::string::npos, m);
    std::string utf16;
    for (char c : m) utf16 += std::string{c, '\0'};
    BOOST_TEST(s.find(utf16) == std::string::npos, m);
  }
}

BOOST_FIXTURE_TEST_CASE(wrong_master_key_or_password_is_refused, Fixture) {
  const fs::path backup = dir.path() / "b.enc";
  BOOST_REQUIRE(write(backup).ok());
  const fs::path out = dir.path() / "restored";
  auto same_id_other_key = software_key("mek-1", 99);
  auto r = restore(backup, out, "restore-pw", same_id_other_key.get());
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code.code() == "58000");
  auto other_id = software_key("mek-2", 1);
  r = restore(backup, out, "restore-pw", other_id.get());
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code.code() == "58000");
  BOOST_TEST(r.error().message.find("mek-1") != std::string::npos);
  r = restore(backup, out, "not-the-password");
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code.code() == "28P01");
  BOOST_TEST(r.error().message.find("not-the-password") == std::string::npos);
  BOOST_TEST(!fs::exists(out));
}

BOOST_FIXTURE_TEST_CASE(a_flipped_byte_anywhere_is_refused, Fixture) {
  const fs::path backup = dir.path() / "b.enc";
  BOOST_REQUIRE(write(backup).ok());
  const Bytes good = read_all(backup);
  const std::size_t body = chunk_offsets(good).front();
  const fs::path bad = dir.path() / "bad.enc";
  for (std::size_t i = 0; i < good.size(); ++i) {
    Bytes b = good;
    b[i] ^= 0x01;
    write_all(bad, b);
    const fs::path out = dir.path() / "restored";
    auto r = restore(bad, out);
    BOOST_REQUIRE_MESSAGE(!r.ok(), "byte " << i << " flipped was accepted");
    BOOST_TEST(!fs::exists(out), "byte " << i);
    const auto code = r.error().code.code();
    if (i >= body) {
      BOOST_TEST(code == "XX001", "byte " << i << ": " << r.error().message);
    } else {
      // The header: damaged (XX001), another version (0A000), a data key the MEK no longer
      // unwraps or another key id (58000), or a password check that no longer matches (28P01).
      BOOST_TEST((code == "XX001" || code == "0A000" || code == "58000" || code == "28P01"),
                 "byte " << i << ": " << code);
    }
  }
}

BOOST_FIXTURE_TEST_CASE(truncation_reordering_splicing_and_appending_are_refused, Fixture) {
  const fs::path backup = dir.path() / "b.enc";
  BOOST_REQUIRE(write(backup).ok());
  const Bytes good = read_all(backup);
  const auto offsets = chunk_offsets(good);
  BOOST_REQUIRE(offsets.size() > 3u);
  const fs::path bad = dir.path() / "bad.enc";
  // Cut at every chunk boundary (a whole number of valid chunks) and inside a chunk.
  for (std::size_t k = 0; k < offsets.size(); ++k) {
    write_all(bad, Bytes(good.begin(), good.begin() + static_cast<long>(offsets[k])));
    expect_refused(bad, sqlstate::kDataCorrupted);
    write_all(bad, Bytes(good.begin(), good.begin() + static_cast<long>(offsets[k] - 5)));
    expect_refused(bad, sqlstate::kDataCorrupted);
  }
  // Two chunks swapped.
  const auto frame = [&](std::size_t k) {
    const std::size_t end = k + 1 < offsets.size() ? offsets[k + 1] : good.size();
    return Bytes(good.begin() + static_cast<long>(offsets[k]),
                 good.begin() + static_cast<long>(end));
  };
  Bytes swapped(good.begin(), good.begin() + static_cast<long>(offsets[1]));
  for (std::size_t k : {2u, 1u}) {
    auto f = frame(k);
    swapped.insert(swapped.end(), f.begin(), f.end());
  }
  swapped.insert(swapped.end(), good.begin() + static_cast<long>(offsets[3]), good.end());
  write_all(bad, swapped);
  expect_refused(bad, sqlstate::kDataCorrupted);
  // A chunk appended after the final one, and the final chunk duplicated.
  Bytes extended = good;
  auto f = frame(1);
  extended.insert(extended.end(), f.begin(), f.end());
  write_all(bad, extended);
  expect_refused(bad, sqlstate::kDataCorrupted);
  // A chunk of another backup (same MEK, same password) in place of chunk 1.
  const fs::path other = dir.path() / "other.enc";
  BOOST_REQUIRE(write(other).ok());
  const Bytes theirs = read_all(other);
  const auto their_offsets = chunk_offsets(theirs);
  Bytes spliced(good.begin(), good.begin() + static_cast<long>(offsets[1]));
  spliced.insert(spliced.end(), theirs.begin() + static_cast<long>(their_offsets[1]),
                 theirs.begin() + static_cast<long>(their_offsets[2]));
  spliced.insert(spliced.end(), good.begin() + static_cast<long>(offsets[2]), good.end());
  write_all(bad, spliced);
  expect_refused(bad, sqlstate::kDataCorrupted);
}

BOOST_FIXTURE_TEST_CASE(paths_are_refused_as_the_contract_says, Fixture) {
  const fs::path backup = dir.path() / "b.enc";
  write_all(backup, text("already here"));
  auto r = write(backup);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code.code() == "42710");
  BOOST_TEST((read_all(backup) == text("already here")));
  r = write("relative/b.enc");
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code.code() == "22023");
  files["../escape"] = text("x");
  r = write(dir.path() / "c.enc");
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code.code() == "22023");
  // Nothing left behind by the failed writer: no c.enc, no temporary file.
  for (const auto& e : fs::directory_iterator(dir.path()))
    BOOST_TEST(e.path().filename() == "b.enc", e.path().string());
  files.erase("../escape");
  const fs::path good = dir.path() / "d.enc";
  BOOST_REQUIRE(write(good).ok());
  fs::create_directory(dir.path() / "taken");
  auto restored = restore(good, dir.path() / "taken");
  BOOST_REQUIRE(!restored.ok());
  BOOST_TEST(restored.error().code.code() == "42710");
}

BOOST_AUTO_TEST_CASE(kdf_parameters_a_header_cannot_raise) {
  Header h;
  h.key_id = "mek-1";
  h.provider_kind = "env";
  h.wrapped_data_key = Bytes(40, 1);
  std::size_t used = 0;
  BOOST_REQUIRE(parse(serialize(h), used).ok());
  h.argon2.memory_kib = kMaxArgon2MemoryKib * 2;  // within crypto::validate, above the cap
  auto r = parse(serialize(h), used);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code.code() == "XX001");
  h.argon2.memory_kib = 64;
  h.argon2.iterations = kMaxArgon2Iterations + 1;
  r = parse(serialize(h), used);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code.code() == "XX001");
}

}  // namespace
}  // namespace dbvault::storage::backup
