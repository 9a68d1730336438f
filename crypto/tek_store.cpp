#include "crypto/tek_store.h"

#include <sys/stat.h>

#include "crypto/kdf.h"
#include "crypto/mac.h"
#include "crypto/random.h"
#include "crypto/scope_names.h"
#include "crypto/tek_record.h"

namespace dbvault::crypto {
namespace {

using internal::kRecordVersion;
using internal::TekRow;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES ('format_version', '3');
CREATE TABLE IF NOT EXISTS master_keys(
  mek_id TEXT PRIMARY KEY, provider TEXT NOT NULL, kcv BLOB NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active', 'retired')),
  created_at INTEGER NOT NULL, retired_at INTEGER);
CREATE TABLE IF NOT EXISTS teks(
  scope TEXT NOT NULL, version INTEGER NOT NULL CHECK (version >= 1),
  record_version INTEGER NOT NULL, algorithm TEXT NOT NULL,
  mek_id TEXT NOT NULL REFERENCES master_keys(mek_id), created_at INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active', 'decrypt_only')),
  wrapped BLOB NOT NULL, binding BLOB NOT NULL, scope_sealed BLOB, PRIMARY KEY (scope, version));
CREATE TABLE IF NOT EXISTS names_key(id INTEGER PRIMARY KEY CHECK (id = 1), wrapped BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS tek_budgets(
  scope TEXT NOT NULL, version INTEGER NOT NULL, reserved INTEGER NOT NULL,
  PRIMARY KEY (scope, version));
)sql";

std::int64_t micros(TimePoint t) { return t.time_since_epoch().count(); }

Error mek_error(const std::string& message) {
  return make_error(sqlstate::kSystemError, "master key: " + message);
}

Error not_found(const KeyScope& scope) {
  return make_error(sqlstate::kUndefinedObject,
                    "no encryption key for scope \"" + scope.to_string() + "\"");
}

// A scope's rows, newest first, after checking their state invariant.
Result<std::vector<TekRow>> scope_rows(sqlite::Database& db, const internal::ScopeNames& names,
                                       const KeyScope& scope) {
  auto rows = internal::query_rows(db, &names, "WHERE scope = ? ORDER BY version DESC", &scope);
  if (!rows) return std::move(rows).error();
  DBV_RETURN_IF_ERROR(internal::check_states(scope, *rows));
  return rows;
}

// The first column of the first row `sql` returns ("" if none); the statement is finalised
// on return.
Result<std::string> single_text(sqlite::Database& db, std::string_view sql) {
  auto st = db.prepare(sql);
  if (!st) return std::move(st).error();
  auto row = st->step();
  if (!row) return std::move(row).error();
  return *row ? st->text(0) : std::string();
}

}  // namespace

TekStore::TekStore(Passkey, sqlite::Database db, std::shared_ptr<MasterKeyProvider> mek,
                   const Clock& clock)
    : db_(std::move(db)), mek_(std::move(mek)), clock_(clock) {}

TekStore::~TekStore() = default;

Result<std::unique_ptr<TekStore>> TekStore::open(const std::filesystem::path& keys_dir,
                                                 std::shared_ptr<MasterKeyProvider> mek,
                                                 const Clock& clock) {
  if (!mek) return mek_error("no master key provider configured");
  std::error_code ec;
  std::filesystem::create_directories(keys_dir, ec);
  if (ec || ::chmod(keys_dir.c_str(), 0700) != 0) {
    return make_error(sqlstate::kIoError, "key store: cannot create " + keys_dir.string());
  }
  auto db = sqlite::Database::open(keys_dir / "keys.db", {"key store", false});
  if (!db) return std::move(db).error();
  auto store = std::make_unique<TekStore>(Passkey(), std::move(*db), std::move(mek), clock);
  DBV_RETURN_IF_ERROR(store->init_schema());
  DBV_RETURN_IF_ERROR(store->verify_master_key());
  DBV_RETURN_IF_ERROR(store->migrate());
  return store;
}

Result<std::optional<ActiveMasterKey>> TekStore::active_master_key(
    const std::filesystem::path& keys_dir) {
  const auto path = keys_dir / "keys.db";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<ActiveMasterKey>();
  auto db = sqlite::Database::open(path, {"key store", false});
  if (!db) return std::move(db).error();
  auto st = db->prepare("SELECT mek_id, provider FROM master_keys WHERE state = 'active'");
  if (!st) return std::move(st).error();
  std::vector<ActiveMasterKey> found;
  for (;;) {
    auto row = st->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    found.push_back({st->text(0), st->text(1)});
  }
  if (found.size() != 1) {
    return make_error(sqlstate::kDataCorrupted, "key store " + path.string() + ": " +
                                                    std::to_string(found.size()) +
                                                    " active master keys (exactly one expected)");
  }
  return std::optional<ActiveMasterKey>(std::move(found.front()));
}

Status TekStore::init_schema() {
  DBV_RETURN_IF_ERROR(db_.exec(kSchema));
  auto st = db_.prepare("SELECT value FROM meta WHERE key = 'format_version'");
  if (!st) return std::move(st).error();
  auto row = st->step();
  if (!row) return std::move(row).error();
  if (!*row || (st->text(0) != "1" && st->text(0) != "2" && st->text(0) != "3")) {
    return make_error(sqlstate::kSystemError, "key store: unsupported keys.db format version");
  }
  return ok_status();
}

Status TekStore::migrate() {
  // Every deleted or rewritten cell is overwritten: a rewritten record must not leave its
  // plain scope name, or a destroyed key, in the file's free pages.
  DBV_RETURN_IF_ERROR(db_.exec("PRAGMA secure_delete = ON"));
  auto read_format = single_text(db_, "SELECT value FROM meta WHERE key = 'format_version'");
  if (!read_format) return std::move(read_format).error();
  const std::string format = *read_format;
  if (format == "3") {
    auto names = internal::ScopeNames::load(db_, *mek_);
    if (names) {
      names_ = std::make_unique<internal::ScopeNames>(std::move(*names));
      return ok_status();
    }
    if (names.error().code != sqlstate::kUndefinedObject) return std::move(names).error();
  }
  auto txn = sqlite::Transaction::begin(db_);
  if (!txn) return std::move(txn).error();
  if (format == "3") {  // a new store: its names key, unless it already holds keys
    auto any = single_text(db_, "SELECT count(*) FROM teks");
    if (!any) return std::move(any).error();
    if (*any != "0") {
      return make_error(sqlstate::kDataCorrupted,
                        "key store: the names key is missing (keys.db was altered)");
    }
  }
  if (!db_.prepare("SELECT scope_sealed FROM teks LIMIT 0")) {  // formats 1 and 2
    DBV_RETURN_IF_ERROR(db_.exec("ALTER TABLE teks ADD COLUMN scope_sealed BLOB"));
  }
  // Format 1 bound neither state nor mek_id (docs/keys.md §3): rebind every record after
  // checking what format 1 can check. Formats 1 and 2 stored the scope names in clear: each
  // becomes its lookup id and sealed name. One transaction: all or nothing.
  if (format == "1") DBV_RETURN_IF_ERROR(internal::migrate_from_format_1(db_, *mek_));
  auto names = internal::ScopeNames::create(db_, *mek_);
  if (!names) return std::move(names).error();
  if (format != "3") DBV_RETURN_IF_ERROR(internal::migrate_from_format_2(db_, *mek_, *names));
  DBV_RETURN_IF_ERROR(txn->commit());
  names_ = std::make_unique<internal::ScopeNames>(std::move(*names));
  return format == "3" ? ok_status() : db_.exec("VACUUM");
}

Status TekStore::verify_master_key() {
  auto kcv = key_check_value(*mek_);
  if (!kcv) return std::move(kcv).error();
  const std::string& id = mek_->key_id();
  auto st =
      db_.prepare("SELECT mek_id, state, kcv FROM master_keys ORDER BY state = 'active' DESC");
  if (!st) return std::move(st).error();
  std::string active;
  for (;;) {
    auto more = st->step();
    if (!more) return std::move(more).error();
    if (!*more) break;
    if (st->text(1) == "active") active = st->text(0);
    if (st->text(0) != id) continue;
    if (st->text(1) != "active") {
      return mek_error("\"" + id +
                       "\" was retired by a master key rotation; the current key is \"" + active +
                       "\"");
    }
    if (!matches_key_check_value(*mek_, st->blob(2), *kcv)) {
      return mek_error("the key supplied as \"" + id +
                       "\" does not match the key-check value recorded for it: wrong key");
    }
    return ok_status();
  }
  if (!active.empty()) {
    return mek_error("\"" + id + "\" is not the key this data directory was created with (" +
                     "expected \"" + active + "\")");
  }
  auto ins = db_.prepare(
      "INSERT INTO master_keys(mek_id, provider, kcv, state, created_at) VALUES (?, ?, ?, "
      "'active', ?)");
  if (!ins) return std::move(ins).error();
  ins->bind(1, id).bind(2, mek_->kind()).bind(3, std::span<const std::uint8_t>(*kcv));
  ins->bind(4, micros(clock_.now()));
  return db_.run(*ins);
}

Result<TekInfo> TekStore::insert_version(const KeyScope& scope, std::uint32_t version,
                                         AeadAlgorithm algorithm) {
  TekInfo info{scope, version, algorithm, mek_->key_id(), clock_.now(), TekState::kActive};
  auto tek = random_key(32);
  if (!tek) return std::move(tek).error();
  auto wrapped = mek_->wrap(*tek);
  if (!wrapped) return std::move(wrapped).error();
  auto binding = internal::binding_tag(*tek, info);
  if (!binding) return std::move(binding).error();
  auto st = db_.prepare(
      "INSERT INTO teks(scope, version, record_version, algorithm, mek_id, created_at, state, "
      "wrapped, binding, scope_sealed) VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)");
  if (!st) return std::move(st).error();
  auto sealed = names_->seal(scope);
  if (!sealed) return std::move(sealed).error();
  st->bind(1, names_->id_of(scope)).bind(2, std::int64_t{version}).bind(3, kRecordVersion);
  st->bind(4, algorithm_name(algorithm)).bind(5, info.mek_id).bind(6, micros(info.created_at));
  st->bind(7, std::span<const std::uint8_t>(*wrapped))
      .bind(8, std::span<const std::uint8_t>(*binding))
      .bind(9, std::span<const std::uint8_t>(*sealed));
  DBV_RETURN_IF_ERROR(db_.run(*st));
  return info;
}

Result<TekInfo> TekStore::create_tek(const KeyScope& scope, AeadAlgorithm algorithm) {
  DBV_RETURN_IF_ERROR(scope.validate());
  std::lock_guard lock(mu_);
  auto existing = versions_locked(scope);
  if (!existing) return std::move(existing).error();
  if (!existing->empty()) {
    return make_error(sqlstate::kDuplicateObject,
                      "scope \"" + scope.to_string() + "\" already has an encryption key");
  }
  return insert_version(scope, 1, algorithm);
}

Result<std::vector<TekInfo>> TekStore::versions_locked(const KeyScope& scope) {
  auto rows = scope_rows(db_, *names_, scope);
  if (!rows) return std::move(rows).error();
  std::vector<TekInfo> out;
  for (auto it = rows->rbegin(); it != rows->rend(); ++it) out.push_back(std::move(it->info));
  return out;
}

Result<std::vector<TekInfo>> TekStore::versions(const KeyScope& scope) {
  std::lock_guard lock(mu_);
  return versions_locked(scope);
}

Result<TekInfo> TekStore::current(const KeyScope& scope) {
  auto all = versions(scope);
  if (!all) return std::move(all).error();
  if (all->empty() || all->back().state != TekState::kActive) return not_found(scope);
  return all->back();
}

Result<UnwrappedTek> TekStore::unwrap_locked(const KeyScope& scope,
                                             std::optional<std::uint32_t> version) {
  auto rows = scope_rows(db_, *names_, scope);
  if (!rows) return std::move(rows).error();
  for (auto& row : *rows) {
    if (version ? row.info.version != *version : row.info.state != TekState::kActive) continue;
    auto key = mek_->unwrap(row.wrapped);
    if (!key) return std::move(key).error();
    DBV_RETURN_IF_ERROR(internal::check_binding(*key, row));
    return UnwrappedTek{std::move(row.info), std::move(*key)};
  }
  if (!version) return not_found(scope);
  return make_error(sqlstate::kUndefinedObject, "no version " + std::to_string(*version) +
                                                    " of the key for scope \"" + scope.to_string() +
                                                    "\"");
}

Result<UnwrappedTek> TekStore::unwrap(const KeyScope& scope, std::optional<std::uint32_t> version) {
  std::lock_guard lock(mu_);
  return unwrap_locked(scope, version);
}

Result<TekInfo> TekStore::begin_tek_rotation(const KeyScope& scope,
                                             std::optional<AeadAlgorithm> algorithm) {
  std::lock_guard lock(mu_);
  auto all = versions_locked(scope);
  if (!all) return std::move(all).error();
  if (all->empty()) return not_found(scope);
  auto txn = sqlite::Transaction::begin(db_);
  if (!txn) return std::move(txn).error();
  auto rows = scope_rows(db_, *names_, scope);
  if (!rows) return std::move(rows).error();
  for (const auto& row : *rows) {  // demoted and rebound: the state is part of the binding
    if (row.info.state != TekState::kActive) continue;
    auto key = mek_->unwrap(row.wrapped);
    if (!key) return std::move(key).error();
    DBV_RETURN_IF_ERROR(internal::check_binding(*key, row));
    TekInfo demoted = row.info;
    demoted.state = TekState::kDecryptOnly;
    DBV_RETURN_IF_ERROR(internal::rebind(db_, names_.get(), demoted, row.wrapped, *key));
  }
  auto info =
      insert_version(scope, all->back().version + 1, algorithm.value_or(all->back().algorithm));
  if (!info) return std::move(info).error();
  DBV_RETURN_IF_ERROR(txn->commit());
  return info;
}

Status TekStore::reencrypt_from(const KeyScope& scope, std::uint32_t old_version,
                                const ReencryptStep& step, const ProgressSink& progress) {
  auto from = unwrap(scope, old_version);
  if (!from) return std::move(from).error();
  auto to = unwrap(scope, std::nullopt);
  if (!to) return std::move(to).error();
  // The lock is not held while data is re-encrypted: releases go on meanwhile.
  std::uint64_t last_done = 0;
  for (bool first = true;; first = false) {
    auto p = step(*from, *to);
    if (!p) return std::move(p).error();
    if (progress) progress(scope, *p);
    if (p->done >= p->total) break;
    if (!first && p->done <= last_done) {
      return make_error(sqlstate::kObjectNotInPrerequisiteState,
                        "key rotation of \"" + scope.to_string() + "\" made no progress");
    }
    last_done = p->done;
  }
  std::lock_guard lock(mu_);
  auto del =
      db_.prepare("DELETE FROM teks WHERE scope = ? AND version = ? AND state = 'decrypt_only'");
  if (!del) return std::move(del).error();
  del->bind(1, names_->id_of(scope)).bind(2, std::int64_t{old_version});
  DBV_RETURN_IF_ERROR(db_.run(*del));
  return db_.run("DELETE FROM tek_budgets WHERE scope = ? AND version = ?", names_->id_of(scope),
                 std::int64_t{old_version});
}

Status TekStore::destroy(const KeyScope& scope) {
  std::lock_guard lock(mu_);
  auto all = versions_locked(scope);
  if (!all) return std::move(all).error();
  if (all->empty()) return not_found(scope);
  // secure_delete is on (migrate()): the keys are not left in the free pages.
  auto txn = sqlite::Transaction::begin(db_);
  if (!txn) return std::move(txn).error();
  DBV_RETURN_IF_ERROR(db_.run("DELETE FROM teks WHERE scope = ?", names_->id_of(scope)));
  DBV_RETURN_IF_ERROR(db_.run("DELETE FROM tek_budgets WHERE scope = ?", names_->id_of(scope)));
  return txn->commit();
}

Status TekStore::finish_tek_rotation(const KeyScope& scope, const ReencryptStep& step,
                                     const ProgressSink& progress) {
  auto all = versions(scope);
  if (!all) return std::move(all).error();
  for (const auto& info : *all) {
    if (info.state != TekState::kDecryptOnly) continue;
    DBV_RETURN_IF_ERROR(reencrypt_from(scope, info.version, step, progress));
  }
  return ok_status();
}

Result<TekInfo> TekStore::rotate_tek(const KeyScope& scope, const ReencryptStep& step,
                                     const ProgressSink& progress) {
  auto info = begin_tek_rotation(scope);
  if (!info) return std::move(info).error();
  DBV_RETURN_IF_ERROR(finish_tek_rotation(scope, step, progress));
  return info;
}

Status TekStore::rotate_mek(std::shared_ptr<MasterKeyProvider> next) {
  if (!next) return mek_error("no new master key provider given");
  std::lock_guard lock(mu_);
  auto kcv = key_check_value(*next);
  if (!kcv) return std::move(kcv).error();
  auto txn = sqlite::Transaction::begin(db_);
  if (!txn) return std::move(txn).error();
  auto used = db_.prepare("SELECT 1 FROM master_keys WHERE mek_id = ?");
  if (!used) return std::move(used).error();
  used->bind(1, next->key_id());
  auto exists = used->step();
  if (!exists) return std::move(exists).error();
  if (*exists) {
    return make_error(sqlstate::kDuplicateObject,
                      "master key id \"" + next->key_id() + "\" was used before; choose a new id");
  }
  auto add = db_.prepare(
      "INSERT INTO master_keys(mek_id, provider, kcv, state, created_at) VALUES (?, ?, ?, "
      "'active', ?)");
  if (!add) return std::move(add).error();
  add->bind(1, next->key_id()).bind(2, next->kind()).bind(3, std::span<const std::uint8_t>(*kcv));
  add->bind(4, micros(clock_.now()));
  DBV_RETURN_IF_ERROR(db_.run(*add));
  auto rows = internal::query_rows(db_, names_.get(), "ORDER BY scope, version", nullptr);
  if (!rows) return std::move(rows).error();
  for (const auto& row : *rows) {
    auto tek = unwrap_locked(row.info.scope, row.info.version);  // checks the binding too
    if (!tek) return std::move(tek).error();
    auto wrapped = next->wrap(tek->key);
    if (!wrapped) return std::move(wrapped).error();
    TekInfo rewrapped = tek->info;
    rewrapped.mek_id = next->key_id();  // bound: rebind under the new id
    DBV_RETURN_IF_ERROR(internal::rebind(db_, names_.get(), rewrapped, *wrapped, tek->key));
  }
  DBV_RETURN_IF_ERROR(names_->rewrap(db_, *next));
  auto retire =
      db_.prepare("UPDATE master_keys SET state = 'retired', retired_at = ? WHERE mek_id = ?");
  if (!retire) return std::move(retire).error();
  retire->bind(1, micros(clock_.now())).bind(2, mek_->key_id());
  DBV_RETURN_IF_ERROR(db_.run(*retire));
  DBV_RETURN_IF_ERROR(txn->commit());
  mek_ = std::move(next);
  return ok_status();
}

Result<std::uint64_t> TekStore::reserved_invocations(const KeyScope& scope, std::uint32_t version) {
  std::lock_guard lock(mu_);
  return internal::reserved_invocations(db_, *names_, scope, version);
}

Status TekStore::reserve_invocations(const KeyScope& scope, std::uint32_t version,
                                     std::uint64_t up_to) {
  std::lock_guard lock(mu_);
  return internal::reserve_invocations(db_, *names_, scope, version, up_to);
}

Status TekStore::check_provider() {
  std::lock_guard lock(mu_);
  return mek_->check();
}

std::string TekStore::mek_provider() const {
  std::lock_guard lock(mu_);
  return std::string(mek_->kind());
}

std::string TekStore::mek_id() const {
  std::lock_guard lock(mu_);
  return mek_->key_id();
}

std::shared_ptr<MasterKeyProvider> TekStore::master_key() const {
  std::lock_guard lock(mu_);
  return mek_;
}

}  // namespace dbvault::crypto
