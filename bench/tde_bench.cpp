// tde_bench: the cost of transparent data encryption on one table, plain SQLite against the
// encrypting VFS (storage/vfs/, AES-256-GCM by default), measured in the same run with the same
// settings, those the engine's encrypted connections get from open_encrypted (WAL, the
// connection pragmas vfs::kConnectionPragmas, the page cache vfs::kDefaultCacheKib): the plain
// side gets exactly the same, and the output says which:
//   bulk_insert  ROWS rows of ~120 bytes in one transaction (then a checkpoint)
//   point_read   LOOKUPS primary-key lookups at random ids (most leaves miss the page cache)
//   full_scan    SCANS full scans summing a column (every page read and decrypted)
// Each figure is the best of ROUNDS rounds, plain and encrypted alternating, so that a busy
// machine disturbs both alike. Prints a table and one `ratio name=<figure> value=<enc/plain>`
// line per figure (wall-clock time), then one `cpu_ratio name=<figure> value=<enc/plain>` line
// (the process's user + system CPU time: on a machine shared with other work the wall clock
// measures the scheduler as much as the code; the CPU time leaves out the waits for fdatasync,
// which the wall clock includes). Figures: docs/performance.md.
//
// usage: tde_bench [DIR] [ROWS] [ROUNDS] [--chacha] [--cache-kib=N] [--only=FIGURE]
//   --only: run one figure (bulk_insert always runs: the others read its table), e.g. to
//   profile it alone.
//   --cache-kib: SQLite's page cache per connection, both sides (default: the engine's,
//   vfs::kDefaultCacheKib); a cache that holds the table leaves the encrypted side almost
//   nothing to decrypt after the first read. 2000 is SQLite's own default.
#include <sqlite3.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "crypto/random.h"
#include "storage/vfs/checkpoint_pacing.h"
#include "storage/vfs/encrypted_db.h"

namespace {

using namespace dbvault;
using Steady = std::chrono::steady_clock;
int g_cache_kib = dbvault::storage::vfs::kDefaultCacheKib;  // PRAGMA cache_size, both sides
namespace fs = std::filesystem;
namespace vfs = dbvault::storage::vfs;

void check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

struct Stmt {
  Stmt(sqlite3* db, const char* sql) {
    check(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), db, sql);
  }
  ~Stmt() { sqlite3_finalize(st); }
  sqlite3_stmt* st = nullptr;
};

// One side of the comparison: a fresh database file, plain or through the VFS.
struct Side {
  const char* name;
  vfs::TdeVfs* tde;  // nullptr: plain SQLite
  fs::path path;
  vfs::DatabasePtr db;

  void open_fresh() {
    db.reset();
    for (const char* s : {"", "-wal", "-shm", "-tde", "-tdv"}) fs::remove(path.string() + s);
    if (tde != nullptr) {
      vfs::EncryptedOpenOptions options;  // what the engine uses, but for the page cache
      options.cache_kib = g_cache_kib;
      auto opened = vfs::open_encrypted(path, *tde, options);
      if (!opened) {
        std::fprintf(stderr, "%s\n", opened.error().message.c_str());
        std::exit(1);
      }
      db = std::move(*opened);
    } else {
      sqlite3* raw = nullptr;
      check(
          sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
          raw, "open");
      db.reset(raw);
      exec("PRAGMA journal_mode = WAL");
      exec(vfs::kConnectionPragmas);
      exec(("PRAGMA cache_size = -" + std::to_string(g_cache_kib)).c_str());
      vfs::install_checkpoint_pacing(db.get());  // as configure_connection
    }
  }
  void exec(const char* sql) {
    check(sqlite3_exec(db.get(), sql, nullptr, nullptr, nullptr), db.get(), sql);
  }
};

struct Time {
  double wall = 0;  // seconds
  double cpu = 0;   // user + system seconds of the process
};

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

template <typename F>
Time seconds(F f) {
  const auto t0 = Steady::now();
  const double c0 = cpu_seconds();
  f();
  return {std::chrono::duration<double>(Steady::now() - t0).count(), cpu_seconds() - c0};
}

Time bulk_insert(Side& s, int rows) {
  s.open_fresh();
  s.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT, v BLOB)");
  return seconds([&] {
    s.exec("BEGIN");
    Stmt ins(s.db.get(), "INSERT INTO t VALUES (?, ?, ?)");
    std::string k;
    unsigned char v[100];
    for (int i = 0; i < rows; ++i) {
      k = "key-" + std::to_string(i * 7919 % rows);
      std::memset(v, i & 0xff, sizeof v);
      sqlite3_bind_int(ins.st, 1, i);
      sqlite3_bind_text(ins.st, 2, k.c_str(), static_cast<int>(k.size()), SQLITE_TRANSIENT);
      sqlite3_bind_blob(ins.st, 3, v, sizeof v, SQLITE_STATIC);
      check(sqlite3_step(ins.st), s.db.get(), "insert");
      sqlite3_reset(ins.st);
    }
    s.exec("COMMIT");
    s.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  });
}

Time point_read(Side& s, int rows, int lookups) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> pick(0, rows - 1);
  Stmt get(s.db.get(), "SELECT length(k) + length(v) FROM t WHERE id = ?");
  long long sum = 0;
  const Time t = seconds([&] {
    for (int i = 0; i < lookups; ++i) {
      sqlite3_bind_int(get.st, 1, pick(rng));
      if (sqlite3_step(get.st) == SQLITE_ROW) sum += sqlite3_column_int(get.st, 0);
      sqlite3_reset(get.st);
    }
  });
  if (sum == 0) std::exit(1);
  return t;
}

Time full_scan(Side& s, int scans) {
  Stmt scan(s.db.get(), "SELECT sum(length(v)) FROM t");
  return seconds([&] {
    for (int i = 0; i < scans; ++i) {
      check(sqlite3_step(scan.st), s.db.get(), "scan");
      sqlite3_reset(scan.st);
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "tde_bench.tmp";
  const int rows = argc > 2 ? std::atoi(argv[2]) : 200000;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 5;
  bool chacha = false;
  std::string only;
  for (int i = 4; i < argc; ++i) {
    if (std::strcmp(argv[i], "--chacha") == 0) chacha = true;
    if (std::strncmp(argv[i], "--cache-kib=", 12) == 0) g_cache_kib = std::atoi(argv[i] + 12);
    if (std::strncmp(argv[i], "--only=", 7) == 0) only = argv[i] + 7;
  }
  const int lookups = 200000;
  const int scans = 10;
  fs::create_directories(dir);

  auto key = crypto::random_key(32);
  const auto algorithm =
      chacha ? crypto::AeadAlgorithm::kChaCha20Poly1305 : crypto::AeadAlgorithm::kAes256Gcm;
  auto page_key = key ? vfs::PageKey::from_secret(algorithm, 1, *key)
                      : Result<std::shared_ptr<const vfs::PageKey>>(key.error());
  auto tde = page_key ? vfs::TdeVfs::create(*page_key)
                      : Result<std::unique_ptr<vfs::TdeVfs>>(page_key.error());
  if (!tde) {
    std::fprintf(stderr, "%s\n", tde.error().message.c_str());
    return 1;
  }
  Side plain{"plain", nullptr, dir / "plain.db", nullptr};
  Side enc{"encrypted", tde->get(), dir / "encrypted.db", nullptr};

  struct Figure {
    const char* name;
    double best[2] = {1e30, 1e30};      // wall seconds: plain, encrypted
    double best_cpu[2] = {1e30, 1e30};  // CPU seconds
    void add(int side, Time t) {
      best[side] = std::min(best[side], t.wall);
      best_cpu[side] = std::min(best_cpu[side], t.cpu);
    }
  } figures[] = {{"bulk_insert"}, {"point_read"}, {"full_scan"}};
  for (int r = 0; r < rounds; ++r) {
    Side* sides[2] = {&plain, &enc};
    if (r % 2 == 1) std::swap(sides[0], sides[1]);
    for (Side* s : sides) {
      const int i = s == &plain ? 0 : 1;
      figures[0].add(i, bulk_insert(*s, rows));
      if (only.empty() || only == "point_read") figures[1].add(i, point_read(*s, rows, lookups));
      if (only.empty() || only == "full_scan") figures[2].add(i, full_scan(*s, scans));
    }
  }
  std::printf("tde_bench: %d rows, %d lookups, %d scans, best of %d rounds, %s\n", rows, lookups,
              scans, rounds, crypto::algorithm_name(algorithm).data());
  std::printf("settings, both sides: journal_mode = WAL; %s cache_size = -%d (KiB; %s)\n",
              vfs::kConnectionPragmas, g_cache_kib,
              g_cache_kib == vfs::kDefaultCacheKib ? "the engine's, vfs::kDefaultCacheKib"
                                                   : "--cache-kib, not the engine's");
  std::printf("%-12s %12s %12s %8s %12s %12s %8s\n", "figure", "plain s", "encrypted s", "ratio",
              "plain cpu s", "enc. cpu s", "cpu rat.");
  const auto ran = [](const Figure& f) { return f.best[0] < 1e29; };
  for (const auto& f : figures) {
    if (!ran(f)) continue;
    std::printf("%-12s %12.4f %12.4f %8.3f %12.4f %12.4f %8.3f\n", f.name, f.best[0], f.best[1],
                f.best[1] / f.best[0], f.best_cpu[0], f.best_cpu[1], f.best_cpu[1] / f.best_cpu[0]);
  }
  for (const auto& f : figures)
    if (ran(f)) std::printf("ratio name=%s value=%.3f\n", f.name, f.best[1] / f.best[0]);
  for (const auto& f : figures)
    if (ran(f))
      std::printf("cpu_ratio name=%s value=%.3f\n", f.name, f.best_cpu[1] / f.best_cpu[0]);
  plain.db.reset();
  enc.db.reset();
  fs::remove_all(dir);
  return 0;
}
