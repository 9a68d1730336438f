// An older copy of a page put back at its own position (format version 2, the page version
// table "<db>-tdv"): the page was sealed in an older write epoch than the table records, so it
// fails authentication (XX001, or 58000 for page 1) instead of giving the old row. A missing or
// altered table and a version-1 file are refused.
#include <boost/test/unit_test.hpp>

#include "storage/vfs/page_versions.h"
#include "tests/storage/vfs_fixture.h"

namespace dbvault::storage::vfs::test {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kPage = 4096;

struct PageVersionFixture : VfsFixture {
  // 200 rows 'old-<id>', checkpointed into the main file.
  void fill() {
    auto db = open();
    exec(db.get(), "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
    exec(db.get(), "BEGIN");
    for (int i = 0; i < 200; ++i) {
      exec(db.get(), "INSERT INTO t VALUES (" + std::to_string(i) + ", 'old-" + std::to_string(i) +
                         std::string(300, 'x') + "')");
    }
    exec(db.get(), "COMMIT");
  }
  // The page version table as it was after the last checkpoint, with its next epoch pending
  // again: what a system crash that undid the rename of the table's commit leaves
  // (main_versions.cpp writes that commit without a directory sync).
  void undo_commit(const std::vector<std::uint8_t>& committed_table) {
    auto page_key = PageKey::from_secret(crypto::AeadAlgorithm::kAes256Gcm, 1, key);
    BOOST_REQUIRE(page_key);
    auto cipher = (*page_key)->cipher();
    BOOST_REQUIRE(cipher);
    const auto file = read_file(db_path());
    const auto header = FileHeader::decode(
        std::span<const std::uint8_t, kFileHeaderSize>(file.data(), kFileHeaderSize));
    BOOST_REQUIRE(header);
    const std::string table = db_path().string() + "-tdv";
    const auto now = read_file(table);
    write_file(table, committed_table);
    auto old = read_page_versions(db_path().string(), header->file_id, *cipher);
    BOOST_REQUIRE(old && *old);
    auto pending = std::move(**old);
    BOOST_REQUIRE(pending.pending == 0);
    pending.pending = pending.next_epoch();
    BOOST_REQUIRE(write_page_versions(db_path().string(), header->file_id, *cipher, pending).ok());
    BOOST_REQUIRE(read_file(table) != now);
  }
  // Puts back, one at a time, the copy in `older` of each page that differs in the current
  // file, and checks that row 100 can no longer be read (XX001, or 58000 for page 1); then
  // restores the file. Returns how many pages were put back.
  int put_back_each_changed_page(const std::vector<std::uint8_t>& older) {
    const auto current = read_file(db_path());
    BOOST_REQUIRE(current.size() == older.size());
    int replayed = 0;
    for (std::size_t page = 0; page < current.size() / kPage; ++page) {
      const auto at = static_cast<std::ptrdiff_t>(page * kPage);
      if (std::equal(older.begin() + at, older.begin() + at + kPage, current.begin() + at))
        continue;
      auto replay = current;
      std::copy(older.begin() + at, older.begin() + at + kPage, replay.begin() + at);
      write_file(db_path(), replay);
      const auto row = row_100();
      BOOST_TEST_CONTEXT("older copy of page " << page + 1) {
        BOOST_REQUIRE_MESSAGE(!row.ok(), "read " << (row.ok() ? *row : ""));
        BOOST_TEST((row.error().code == sqlstate::kDataCorrupted ||
                    (page == 0 && row.error().code == sqlstate::kSystemError)));
      }
      ++replayed;
    }
    write_file(db_path(), current);
    return replayed;
  }
  // Row 100 as read through a fresh connection, or the error.
  Result<std::string> row_100() {
    EncryptedOpenOptions o;
    o.create = false;
    auto db = open_encrypted(db_path(), *vfs, o);
    if (!db) return std::move(db).error();
    sqlite3_stmt* st = nullptr;
    int rc = sqlite3_prepare_v2(db->get(), "SELECT substr(v, 1, 8) FROM t WHERE id = 100", -1, &st,
                                nullptr);
    std::string value;
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
      value = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
      return tde_error(*vfs, db->get(), sqlite3_extended_errcode(db->get()), "read");
    return value;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(vfs_page_version, PageVersionFixture)

BOOST_AUTO_TEST_CASE(an_older_copy_of_a_page_at_its_own_position_is_refused) {
  fill();
  const auto before = read_file(db_path());
  {
    auto db = open();
    exec(db.get(), "UPDATE t SET v = 'new-100' WHERE id = 100");
  }  // checkpointed on close: the leaf holding row 100 is rewritten in the main file
  BOOST_REQUIRE(row_100().ok() && *row_100() == "new-100");
  // The pages the update rewrote, put back as they were before it.
  BOOST_TEST(put_back_each_changed_page(before) >= 1);
  BOOST_TEST(row_100().ok());
}

// The commit of an epoch's table is renamed into place without a directory sync: a system crash
// may undo it, leaving the epoch pending. Its pages must stay readable, and the next writer must
// record them and begin an epoch above it, so that an older copy of one of its pages is still
// refused after the page was written again.
BOOST_AUTO_TEST_CASE(a_table_commit_undone_by_a_crash_leaves_a_pending_epoch_that_is_resolved) {
  fill();
  const auto committed_table = read_file(db_path().string() + "-tdv");
  {
    auto db = open();
    exec(db.get(), "UPDATE t SET v = 'mid-100' WHERE id = 100");
  }  // checkpointed on close, in the next epoch
  undo_commit(committed_table);
  BOOST_REQUIRE(row_100().ok());
  BOOST_TEST(*row_100() == "mid-100");  // read under the pending epoch
  const auto mid = read_file(db_path());
  {
    auto db = open();
    exec(db.get(), "UPDATE t SET v = 'new-100' WHERE id = 100");
  }  // resolves the pending epoch, then checkpoints in a later one
  BOOST_REQUIRE(row_100().ok());
  BOOST_TEST(*row_100() == "new-100");
  // Copies sealed in the resolved epoch: the table records a later one for those pages.
  BOOST_TEST(put_back_each_changed_page(mid) >= 1);
  BOOST_TEST(row_100().ok());
}

BOOST_AUTO_TEST_CASE(a_missing_or_altered_page_version_table_is_refused) {
  fill();
  const fs::path table = db_path().string() + "-tdv";
  const auto original = read_file(table);
  BOOST_REQUIRE(original.size() > 72u);
  fs::remove(table);
  auto missing = row_100();
  BOOST_REQUIRE(!missing.ok());
  BOOST_TEST(missing.error().code == sqlstate::kDataCorrupted);
  BOOST_TEST(missing.error().message.find("page version table") != std::string::npos);
  for (std::size_t at :
       {std::size_t{0}, std::size_t{9}, std::size_t{17}, std::size_t{45}, original.size() - 1}) {
    auto bytes = original;
    bytes[at] ^= 0x01;
    write_file(table, bytes);
    auto altered = row_100();
    BOOST_TEST_CONTEXT("table byte " << at) {
      BOOST_REQUIRE(!altered.ok());
      BOOST_TEST((altered.error().code == sqlstate::kDataCorrupted ||
                  altered.error().code == sqlstate::kSystemError));
    }
  }
  write_file(table, original);
  BOOST_TEST(row_100().ok());
}

BOOST_AUTO_TEST_CASE(the_wrong_key_is_58000_not_an_altered_table) {
  fill();
  auto other = make_vfs(random_tek());
  EncryptedOpenOptions o;
  o.create = false;
  auto db = open_encrypted(db_path(), *other, o);
  BOOST_REQUIRE(!db.ok());
  BOOST_TEST(db.error().code == sqlstate::kSystemError);
  BOOST_TEST(db.error().message.find("wrong key") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_version_1_file_is_refused_with_a_clear_message) {
  fill();
  auto bytes = read_file(db_path());
  bytes[4] = 1;  // the format version in the dbvault file header
  write_file(db_path(), bytes);
  auto row = row_100();
  BOOST_REQUIRE(!row.ok());
  BOOST_TEST(row.error().code == sqlstate::kSystemError);
  BOOST_TEST(row.error().message.find("format version 1") != std::string::npos,
             row.error().message);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::storage::vfs::test
