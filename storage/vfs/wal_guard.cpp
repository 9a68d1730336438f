// Keeps the WAL state record (wal_state.h) in step with the WAL, and checks the WAL against it
// when a connection opens it. Each transition is durable before the event it announces:
//   page 1 first written in WAL mode      -> record created (clean)
//   a WAL header (new generation) written -> pending(new, previous) before the header
//   the WAL synced after that header      -> in_use(new) after the sync
//   the WAL deleted or truncated to empty -> clean(last) before the delete or truncate
#include <algorithm>

#include "storage/vfs/tde_file.h"
#include "storage/vfs/wal_state.h"

namespace dbvault::storage::vfs::internal {
namespace {

constexpr std::size_t kWalSaltOffset = 16;
using Salts = std::array<std::uint8_t, 8>;

int record_error(const TdeFile& f, const Error& e) {
  return f.fail(e.code == sqlstate::kDataCorrupted ? SQLITE_CORRUPT : SQLITE_IOERR,
                ": " + e.message);
}

// The WAL's header salts, or nullopt if it has no header SQLite would accept.
std::optional<Salts> header_salts(const TdeFile& f) {
  sqlite3_int64 size = 0;
  if (f.real->pMethods->xFileSize(f.real, &size) != SQLITE_OK ||
      size < static_cast<sqlite3_int64>(kWalHeaderSize)) {
    return std::nullopt;
  }
  std::array<std::uint8_t, kWalHeaderSize> h{};
  if (read_exact(f, h, 0) != SQLITE_OK || !wal_header_valid(h)) return std::nullopt;
  Salts s{};
  std::copy_n(h.begin() + kWalSaltOffset, s.size(), s.begin());
  return s;
}

}  // namespace

int wal_guard_open(TdeFile& f) {
  auto state = read_wal_state(f.db_path, f.identity->id, *f.cipher);
  if (!state) return record_error(f, state.error());
  if (!*state)
    return f.fail(SQLITE_CORRUPT, ": the database is in WAL mode but its WAL state record " +
                                      wal_state_path(f.db_path) + " is missing");
  const WalState& s = **state;
  const auto salts = header_salts(f);
  bool ok = true;
  switch (s.phase) {
    case WalPhase::kInUse:
      ok = salts && *salts == s.salts;
      break;
    case WalPhase::kPending:
      ok = !salts || *salts == s.salts || *salts == s.previous;
      break;
    case WalPhase::kClean:
      ok = !salts || *salts == s.salts;
      break;
  }
  if (!ok) {
    return f.fail(
        SQLITE_CORRUPT,
        s.phase == WalPhase::kInUse && !salts
            ? ": the WAL was deleted, truncated or its header altered while it held commits"
            : ": the WAL is not this database's current WAL (replaced or altered)");
  }
  return SQLITE_OK;
}

int wal_guard_new_generation(TdeFile& f, std::span<const std::uint8_t> header) {
  auto state = read_wal_state(f.db_path, f.identity->id, *f.cipher);
  if (!state) return record_error(f, state.error());
  WalState next;
  next.phase = WalPhase::kPending;
  std::copy_n(header.begin() + kWalSaltOffset, next.salts.size(), next.salts.begin());
  if (*state) next.previous = (*state)->salts;
  const Status st = write_wal_state(f.db_path, f.identity->id, *f.cipher, next);
  if (!st.ok()) return record_error(f, st.error());
  f.unsynced_generation = next;
  return SQLITE_OK;
}

int wal_guard_synced(TdeFile& f) {
  if (!f.unsynced_generation) return SQLITE_OK;
  WalState s = *f.unsynced_generation;
  s.phase = WalPhase::kInUse;
  const Status st = write_wal_state(f.db_path, f.identity->id, *f.cipher, s);
  if (!st.ok()) return record_error(f, st.error());
  f.unsynced_generation.reset();
  return SQLITE_OK;
}

Status wal_guard_clean(const std::string& db_path, const FileIdentity& identity,
                       const PageCipher& cipher) {
  auto state = read_wal_state(db_path, identity.id, cipher);
  if (!state) return std::move(state).error();
  WalState s;
  if (*state) s = **state;
  s.phase = WalPhase::kClean;
  return write_wal_state(db_path, identity.id, cipher, s);
}

int wal_guard_page1(TdeFile& f, std::span<const std::uint8_t> page1) {
  constexpr std::size_t kWriteVersion = 18;  // 2: WAL mode
  if (page1[kWriteVersion] != 2 || f.identity->wal_state_present.load()) return SQLITE_OK;
  if (!wal_state_exists(f.path)) {
    const Status st = write_wal_state(f.path, f.identity->id, *f.cipher, WalState{});
    if (!st.ok()) return record_error(f, st.error());
  }
  f.identity->wal_state_present.store(true);
  return SQLITE_OK;
}

}  // namespace dbvault::storage::vfs::internal
