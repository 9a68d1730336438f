// Damage to an encrypted database is an error, never wrong rows: a flipped byte anywhere in any
// page of the database or in any WAL frame, pages swapped, a page taken from another file, a
// WAL moved to another database.
#include <boost/test/unit_test.hpp>

#include "tests/storage/vfs_fixture.h"

namespace dbvault::storage::vfs::test {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kPage = 4096;
const char* kAllRows = "SELECT id || ':' || v FROM t ORDER BY id";

void fill(sqlite3* db, int from, int to) {
  exec(db, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v TEXT)");
  exec(db, "BEGIN");
  for (int i = from; i < to; ++i) {
    exec(db, "INSERT INTO t VALUES (" + std::to_string(i) + ", 'value-" + std::to_string(i) +
                 std::string(300, 'v') + "')");
  }
  exec(db, "COMMIT");
}

// Opens `path` and reads every row; the error if any step fails.
Result<std::vector<std::string>> read_all(const fs::path& path, TdeVfs& vfs) {
  EncryptedOpenOptions o;
  o.create = false;
  auto db = open_encrypted(path, vfs, o);
  if (!db) return std::move(db).error();
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(db->get(), kAllRows, -1, &st, nullptr);
  std::vector<std::string> rows;
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      rows.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    }
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return tde_error(vfs, db->get(), sqlite3_extended_errcode(db->get()), "read");
  return rows;
}

// The damaged copy must be refused: 58000 (page 1, read at open) or XX001, never rows.
void expect_refused(const fs::path& path, TdeVfs& vfs, const std::string& what) {
  auto rows = read_all(path, vfs);
  BOOST_REQUIRE_MESSAGE(!rows.ok(), what << ": damaged file was read ("
                                         << (rows.ok() ? rows->size() : 0) << " rows)");
  BOOST_TEST_CONTEXT(what) {
    BOOST_TEST((rows.error().code == sqlstate::kDataCorrupted ||
                rows.error().code == sqlstate::kSystemError));
  }
}

struct TamperFixture : VfsFixture {
  fs::path copy_dir() const { return dir.path() / "copy"; }
  fs::path copy_db() const { return copy_dir() / "ts.db"; }
  // Writes `file` (a name in the copy dir) with the byte at `offset` flipped.
  void flip_copy(const std::string& file, const std::vector<std::uint8_t>& original,
                 std::size_t offset) {
    auto bytes = original;
    bytes.at(offset) ^= 0x01;
    write_file(copy_dir() / file, bytes);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(vfs_tamper, TamperFixture)

BOOST_AUTO_TEST_CASE(a_flipped_byte_in_any_page_of_the_database_is_refused) {
  { fill(open().get(), 0, 200); }
  const auto original = read_file(db_path());
  BOOST_REQUIRE(original.size() % kPage == 0 && original.size() >= 10 * kPage);
  copy_database(db_path(), copy_dir());
  auto first = read_all(copy_db(), *vfs);
  BOOST_REQUIRE_MESSAGE(
      first.ok(),
      (first.ok() ? "" : first.error().message + " " + std::string(first.error().code.code())));
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < kRawHeaderSize; ++i) offsets.push_back(i);  // page 1's raw header
  for (std::size_t page = 0; page < original.size() / kPage; ++page) {
    for (std::size_t in : {std::size_t{100}, kPage / 2, kPage - kReservedBytes,
                           kPage - kReservedBytes + 6, kPage - 1}) {
      offsets.push_back(page * kPage + in);
    }
  }
  for (std::size_t off : offsets) {
    flip_copy("ts.db", original, off);
    expect_refused(copy_db(), *vfs, "byte " + std::to_string(off));
  }
}

BOOST_AUTO_TEST_CASE(swapped_pages_and_pages_from_another_file_are_refused) {
  { fill(open().get(), 0, 200); }
  const auto original = read_file(db_path());
  copy_database(db_path(), copy_dir());
  auto swapped = original;
  std::swap_ranges(swapped.begin() + 3 * kPage, swapped.begin() + 4 * kPage,
                   swapped.begin() + 5 * kPage);
  write_file(copy_db(), swapped);
  expect_refused(copy_db(), *vfs, "pages 4 and 6 swapped");

  // Another database under the same key: same page numbers, another file id.
  const auto other_path = dir.path() / "other.db";
  {
    auto other = open_encrypted(other_path, *vfs);
    BOOST_REQUIRE(other.ok());
    fill(other->get(), 0, 200);
  }
  const auto other = read_file(other_path);
  auto mixed = original;
  std::copy(other.begin() + 4 * kPage, other.begin() + 5 * kPage, mixed.begin() + 4 * kPage);
  write_file(copy_db(), mixed);
  expect_refused(copy_db(), *vfs, "page 5 from another file");
}

BOOST_AUTO_TEST_CASE(a_flipped_byte_in_any_wal_frame_is_refused) {
  auto db = open();
  keep_wal(db.get());
  fill(db.get(), 0, 20);
  for (int i = 1; i < 6; ++i)
    exec(db.get(),
         "UPDATE t SET v = 'update-" + std::to_string(i) + "' WHERE id = " + std::to_string(i));
  copy_database(db_path(), copy_dir());
  db.reset();
  const auto wal = read_file(copy_dir() / "ts.db-wal");
  const std::size_t frame = kPage + 24;
  BOOST_REQUIRE(wal.size() > 32 + 4 * frame);
  BOOST_REQUIRE((wal.size() - 32) % frame == 0);
  const auto good = read_all(copy_db(), *vfs);
  BOOST_REQUIRE(good.ok());
  BOOST_TEST(good->at(3).starts_with("3:update-3"));
  const std::size_t frames = (wal.size() - 32) / frame;
  for (std::size_t f = 0; f < frames; ++f) {
    const std::size_t start = 32 + f * frame;
    for (std::size_t in : {std::size_t{0}, std::size_t{3}, std::size_t{7}, std::size_t{8},
                           std::size_t{15}, std::size_t{16}, std::size_t{23}, std::size_t{24 + 200},
                           frame - kReservedBytes + 1, frame - 1}) {
      flip_copy("ts.db-wal", wal, start + in);
      const bool salt = in >= 8 && in < 16;
      if (f + 1 == frames && salt) {
        // Other salts on the last commit frame are what a crash between the frame's two writes
        // leaves (its header still that of an older frame): its transaction is dropped, as
        // cutting the WAL there would drop it (docs/encryption.md §3.4, "Not covered").
        const auto rows = read_all(copy_db(), *vfs);
        BOOST_REQUIRE_MESSAGE(rows.ok(), (rows.ok() ? "" : rows.error().message));
        BOOST_TEST(rows->at(4).starts_with("4:update-4"));
        BOOST_TEST(rows->at(5).starts_with("5:value-5"));
        continue;
      }
      expect_refused(copy_db(), *vfs,
                     "frame " + std::to_string(f + 1) + " byte " + std::to_string(in));
    }
  }
}

BOOST_AUTO_TEST_CASE(swapped_wal_frames_are_refused) {
  auto db = open();
  keep_wal(db.get());
  fill(db.get(), 0, 20);
  for (int i = 1; i < 4; ++i)
    exec(db.get(), "UPDATE t SET v = 'u' WHERE id = " + std::to_string(i));
  copy_database(db_path(), copy_dir());
  db.reset();
  auto wal = read_file(copy_dir() / "ts.db-wal");
  const std::size_t frame = kPage + 24;
  // Swap the images (not the headers) of frames 1 and 2, then the whole frames.
  auto images = wal;
  std::swap_ranges(images.begin() + 32 + 24, images.begin() + 32 + frame,
                   images.begin() + 32 + frame + 24);
  write_file(copy_dir() / "ts.db-wal", images);
  expect_refused(copy_db(), *vfs, "frame images swapped");
  auto frames = wal;
  std::swap_ranges(frames.begin() + 32, frames.begin() + 32 + frame, frames.begin() + 32 + frame);
  write_file(copy_dir() / "ts.db-wal", frames);
  expect_refused(copy_db(), *vfs, "whole frames swapped");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::storage::vfs::test
