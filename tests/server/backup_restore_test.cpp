// restore_backup (server/runtime/backup_host.h) refuses a backup whose content authenticates
// chunk by chunk but whose stores do not open or verify — an audit store altered before it was
// packed, a policy store older than the audit log (the anchors) — and leaves nothing behind
// (no target, no `.restoring-*`); the same backup untouched restores, audit chain verified.
#define BOOST_TEST_MODULE server_backup
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "crypto/file_provider.h"
#include "server/init_command.h"
#include "server/runtime/backup_host.h"
#include "storage/backup_writer.h"
#include "tests/support/temp_dir.h"

namespace dbvault::server {
namespace {

namespace fs = std::filesystem;

struct InitDir {
  test::TempDir tmp{"server_backup"};
  fs::path live = tmp.path() / "live";
  SystemClock clock;

  InitDir() {
    ::setenv("DBVAULT_DBA_PASSWORD", "dba-password-1", 1);
    ::setenv("DBVAULT_SECADMIN_PASSWORD", "secadmin-password-1", 1);
    ::setenv("DBVAULT_AUDITOR_PASSWORD", "auditor-password-1", 1);
    std::ostringstream out, err;
    const std::string dir = live.string();
    BOOST_REQUIRE_MESSAGE(run_init_command({"--data-dir", dir}, out, err) == 0, err.str());
  }
  fs::path key_file() const { return live / "keys" / "master.key"; }

  // `dir` packed as a backup (every file but the master key), as write_backup packs its copies.
  fs::path pack(const fs::path& dir, const std::string& name) {
    auto mek = crypto::open_file_provider(key_file());
    BOOST_REQUIRE(mek.ok());
    storage::backup::WriterOptions o;
    o.target = tmp.path() / name;
    o.mek = mek->get();
    o.password = SecretString("restore-password-1");
    o.argon2.memory_kib = 64;
    o.argon2.iterations = 1;
    auto w = storage::backup::BackupWriter::create(std::move(o));
    BOOST_REQUIRE(w.ok());
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (!e.is_regular_file() || e.path().filename() == "master.key") continue;
      BOOST_REQUIRE((*w)->add_file(fs::relative(e.path(), dir).generic_string(), 0600, e.path()));
    }
    BOOST_REQUIRE((*w)->finish().ok());
    return tmp.path() / name;
  }
  Result<vault::RestoreOutcome> restore(const fs::path& backup, const fs::path& target) {
    auto mek = crypto::open_file_provider(key_file());
    BOOST_REQUIRE(mek.ok());
    RestoreRequest r;
    r.from = backup;
    r.target = target;
    r.password = SecretString("restore-password-1");
    r.mek = std::move(*mek);
    r.key_file = key_file();
    r.actor = {"tester", "", "test"};
    return restore_backup(r, clock);
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(tmp.path())) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }
};

fs::path audit_segment(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(dir / "audit")) {
    if (e.path().filename() != "HEAD") return e.path();
  }
  BOOST_FAIL("no audit segment");
  return {};
}

// Flips one byte in the written part of `file` (before its preallocated zeros).
void flip_inside_records(const fs::path& file) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), {});
  std::size_t last = bytes.size();
  while (last > 0 && bytes[last - 1] == 0) --last;
  BOOST_REQUIRE(last > 64u);
  const std::size_t at = last - 40;  // inside the last record, past every header
  f.seekp(static_cast<long>(at));
  f.put(static_cast<char>(bytes[at] ^ 0x20));
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(an_untouched_backup_restores_with_its_audit_chain_verified, InitDir) {
  const auto backup = pack(live, "good.enc");
  auto r = restore(backup, tmp.path() / "restored");
  BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  BOOST_TEST(r->audit_records > 0u);
  BOOST_TEST(fs::exists(tmp.path() / "restored" / "data" / "main.db"));
  BOOST_TEST(fs::exists(tmp.path() / "restored" / "keys" / "master.key"));
}

BOOST_FIXTURE_TEST_CASE(an_altered_audit_store_is_refused_and_nothing_is_left, InitDir) {
  const fs::path copy = tmp.path() / "copy";
  fs::copy(live, copy, fs::copy_options::recursive);
  flip_inside_records(audit_segment(copy));
  const auto backup = pack(copy, "altered.enc");
  fs::remove_all(copy);
  auto r = restore(backup, tmp.path() / "restored");
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code.code() == "XX001", r.error().message);
  BOOST_TEST((names() == std::vector<std::string>{"altered.enc", "live"}));
}

BOOST_FIXTURE_TEST_CASE(a_policy_store_older_than_the_audit_log_is_refused, InitDir) {
  const fs::path copy = tmp.path() / "copy";
  fs::copy(live, copy, fs::copy_options::recursive);
  // The policy store of a fresh directory, next to an audit log that recorded a later version.
  {
    InitDir other;
    fs::copy_file(other.live / "policy.db", copy / "policy.db",
                  fs::copy_options::overwrite_existing);
  }
  const auto backup = pack(copy, "mixed.enc");
  fs::remove_all(copy);
  auto r = restore(backup, tmp.path() / "restored");
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST((names() == std::vector<std::string>{"live", "mixed.enc"}));
}

}  // namespace dbvault::server
