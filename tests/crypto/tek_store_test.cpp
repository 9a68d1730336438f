// TekStore: key-check values, record binding, TEK rotation and MEK rotation with old
// ciphertext still readable.
#include "crypto/tek_store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <iterator>

#include "crypto/env_provider.h"
#include "crypto/file_provider.h"
#include "crypto/random.h"
#include "crypto/scope_names.h"
#include "crypto/tek_record.h"
#include "tests/crypto/test_util.h"

using namespace dbvault;
using namespace dbvault::crypto;
using namespace dbvault::crypto::test;

namespace {

const std::string kHexA = "8f3a1c9e5b7d20461fa8c3e95d7b0a2c4e6f8091a2b3c4d5e6f708192a3b4c5d";
const std::string kHexB = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct StoreFixture {
  TempDir dir{"tekstore"};
  ManualClock clock{TimePoint(std::chrono::seconds(1'700'000'000))};
  std::filesystem::path keys() const { return dir.path() / "keys"; }
  std::unique_ptr<TekStore> open(std::shared_ptr<MasterKeyProvider> mek) {
    auto s = TekStore::open(keys(), std::move(mek), clock);
    BOOST_REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
    return std::move(*s);
  }
  // The value of keys.db's `scope` column for `scope` (its lookup id under the names key).
  std::string id(const KeyScope& scope) {
    auto db = sqlite::Database::open(keys() / "keys.db", {"test", false});
    BOOST_REQUIRE(db.ok());
    auto mek = env_key(kHexA, "prod-1");
    auto names = internal::ScopeNames::load(*db, *mek);
    BOOST_REQUIRE_MESSAGE(names.ok(), (names.ok() ? "" : names.error().message));
    return names->id_of(scope);
  }
  void sql(const std::string& statement) {
    sqlite3* db = nullptr;
    BOOST_REQUIRE(sqlite3_open((keys() / "keys.db").c_str(), &db) == SQLITE_OK);
    BOOST_REQUIRE(sqlite3_exec(db, statement.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
};

std::vector<std::uint8_t> seal_with(const UnwrappedTek& tek, std::string_view text) {
  auto aead = Aead::create(tek.info.algorithm, tek.key);
  BOOST_REQUIRE(aead.ok());
  auto sealed = aead->seal(bytes_of(text), {});
  BOOST_REQUIRE(sealed.ok());
  return *sealed;
}

std::string open_with(const UnwrappedTek& tek, const std::vector<std::uint8_t>& sealed) {
  auto aead = Aead::create(tek.info.algorithm, tek.key);
  BOOST_REQUIRE(aead.ok());
  auto pt = aead->open(sealed, {});
  BOOST_REQUIRE_MESSAGE(pt.ok(), "decrypt with " << tek.info.version);
  return std::string(pt->begin(), pt->end());
}

void expect_code(const Status& s, SqlState code, std::string_view part = "") {
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.error().code == code, s.error().message);
  BOOST_TEST(s.error().message.find(part) != std::string::npos, s.error().message);
}

template <typename T>
Status status_of(const Result<T>& r) {
  if (r.ok()) return ok_status();
  return r.error();
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(tek_store, StoreFixture)

BOOST_AUTO_TEST_CASE(a_new_store_records_the_mek_and_refuses_any_other) {
  {
    auto store = open(env_key(kHexA, "prod-1"));
    BOOST_REQUIRE(store->create_tek(KeyScope::tablespace("users")).ok());
    expect_code(status_of(store->create_tek(KeyScope::tablespace("users"))),
                sqlstate::kDuplicateObject);
    expect_code(status_of(store->create_tek(KeyScope::tablespace(""))),
                sqlstate::kInvalidParameterValue);
  }
  BOOST_TEST(open(env_key(kHexA, "prod-1"))->current(KeyScope::tablespace("users")).ok());
  expect_code(status_of(TekStore::open(keys(), env_key(kHexB, "prod-1"), clock)),
              sqlstate::kSystemError, "does not match the key-check value");
  expect_code(status_of(TekStore::open(keys(), env_key(kHexA, "prod-2"), clock)),
              sqlstate::kSystemError, "not the key this data directory was created with");
  expect_code(status_of(TekStore::open(keys(), nullptr, clock)), sqlstate::kSystemError);
  struct stat st {};
  BOOST_REQUIRE(::stat(keys().c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0700u);
}

// A provider whose wrap is not deterministic, as a KMS's GCM encryption is: a random prefix
// before the inner provider's wrap.
class RandomizedWrap final : public MasterKeyProvider {
 public:
  explicit RandomizedWrap(std::shared_ptr<MasterKeyProvider> inner) : inner_(std::move(inner)) {}
  std::string_view kind() const override { return "kmip"; }
  const std::string& key_id() const override { return inner_->key_id(); }
  Result<std::vector<std::uint8_t>> wrap(const SecretBytes& key) override {
    std::vector<std::uint8_t> out(8);
    BOOST_REQUIRE(random_bytes(out).ok());
    auto w = inner_->wrap(key);
    if (!w) return w;
    out.insert(out.end(), w->begin(), w->end());
    return out;
  }
  Result<SecretBytes> unwrap(std::span<const std::uint8_t> wrapped) override {
    if (wrapped.size() < 8) return make_error(sqlstate::kSystemError, "short");
    return inner_->unwrap(wrapped.subspan(8));
  }
  Status check() override { return inner_->check(); }

 private:
  std::shared_ptr<MasterKeyProvider> inner_;
};

BOOST_AUTO_TEST_CASE(a_non_deterministic_wrap_is_verified_by_unwrapping_the_key_check_value) {
  {
    auto store = open(std::make_shared<RandomizedWrap>(env_key(kHexA, "kms-1")));
    BOOST_REQUIRE(store->create_tek(KeyScope::tablespace("users")).ok());
  }
  BOOST_TEST(open(std::make_shared<RandomizedWrap>(env_key(kHexA, "kms-1")))
                 ->current(KeyScope::tablespace("users"))
                 .ok());
  expect_code(status_of(TekStore::open(
                  keys(), std::make_shared<RandomizedWrap>(env_key(kHexB, "kms-1")), clock)),
              sqlstate::kSystemError, "does not match the key-check value");
}

BOOST_AUTO_TEST_CASE(unwrap_returns_the_same_key_and_detects_moved_or_altered_records) {
  auto store = open(env_key(kHexA, "prod-1"));
  const auto users = KeyScope::tablespace("users"), staff = KeyScope::columns("main.staff");
  BOOST_REQUIRE(store->create_tek(users).ok());
  BOOST_REQUIRE(store->create_tek(staff, AeadAlgorithm::kChaCha20Poly1305).ok());
  auto a = store->unwrap(users, std::nullopt), b = store->unwrap(users, 1u);
  BOOST_REQUIRE(a.ok() && b.ok());
  BOOST_TEST(a->key.equals(b->key));
  BOOST_TEST(a->key.size() == 32u);
  BOOST_TEST((store->current(staff)->algorithm == AeadAlgorithm::kChaCha20Poly1305));
  expect_code(status_of(store->unwrap(KeyScope::audit(), std::nullopt)),
              sqlstate::kUndefinedObject);
  expect_code(status_of(store->unwrap(users, 7u)), sqlstate::kUndefinedObject);
  store.reset();
  // An attacker with write access to keys.db copies the staff key into the users record.
  sql("UPDATE teks SET (wrapped, binding) = (SELECT wrapped, binding FROM teks WHERE scope = '" +
      id(staff) + "') WHERE scope = '" + id(users) + "'");
  store = open(env_key(kHexA, "prod-1"));
  expect_code(status_of(store->unwrap(users, std::nullopt)), sqlstate::kDataCorrupted,
              "binding check");
  // A flipped bit in a wrapped key: the MEK refuses to unwrap it.
  sql("UPDATE teks SET wrapped = zeroblob(40) WHERE scope = '" + id(staff) + "'");
  expect_code(status_of(store->unwrap(staff, std::nullopt)), sqlstate::kSystemError,
              "cannot unwrap");
}

// A change of cipher (ALTER TABLESPACE ... ENABLE ENCRYPTION): the new version has its own
// algorithm, bound to its record; the old version keeps its own until it is destroyed.
BOOST_AUTO_TEST_CASE(a_rotation_may_give_the_new_version_another_algorithm) {
  auto store = open(env_key(kHexA, "prod-1"));
  const auto scope = KeyScope::tablespace("recipher");
  BOOST_REQUIRE(store->create_tek(scope).ok());
  auto v2 = store->begin_tek_rotation(scope, AeadAlgorithm::kChaCha20Poly1305);
  BOOST_REQUIRE(v2.ok());
  BOOST_TEST((v2->algorithm == AeadAlgorithm::kChaCha20Poly1305));
  BOOST_TEST((store->current(scope)->algorithm == AeadAlgorithm::kChaCha20Poly1305));
  auto old = store->unwrap(scope, 1u);
  BOOST_REQUIRE(old.ok());
  BOOST_TEST((old->info.algorithm == AeadAlgorithm::kAes256Gcm));
  auto now = store->unwrap(scope, std::nullopt);
  BOOST_REQUIRE(now.ok());
  BOOST_TEST((now->info.algorithm == AeadAlgorithm::kChaCha20Poly1305));
  auto v3 = store->begin_tek_rotation(scope);  // nullopt: the active version's algorithm
  BOOST_REQUIRE(v3.ok());
  BOOST_TEST((v3->algorithm == AeadAlgorithm::kChaCha20Poly1305));
}

BOOST_AUTO_TEST_CASE(tek_rotation_keeps_old_ciphertext_readable_until_reencrypted) {
  auto store = open(env_key(kHexA, "prod-1"));
  const auto scope = KeyScope::tablespace("users");
  BOOST_REQUIRE(store->create_tek(scope).ok());
  auto v1 = store->unwrap(scope, std::nullopt);
  std::vector<std::vector<std::uint8_t>> pages;
  for (int i = 0; i < 5; ++i) pages.push_back(seal_with(*v1, "page " + std::to_string(i)));

  auto v2info = store->begin_tek_rotation(scope);
  BOOST_REQUIRE(v2info.ok());
  BOOST_TEST(v2info->version == 2u);
  auto all = store->versions(scope);
  BOOST_REQUIRE(all->size() == 2u);
  BOOST_TEST(((*all)[0].state == TekState::kDecryptOnly));
  BOOST_TEST(store->current(scope)->version == 2u);
  // Old ciphertext still readable with version 1 during the rotation.
  auto old = store->unwrap(scope, 1u);
  BOOST_REQUIRE(old.ok());
  BOOST_TEST(open_with(*old, pages[3]) == "page 3");

  // A re-encryption that fails part-way leaves version 1 in place.
  std::size_t next = 0;
  int calls = 0;
  auto failing = [&](const UnwrappedTek&, const UnwrappedTek&) -> Result<RotationProgress> {
    if (++calls == 2) return make_error(sqlstate::kIoError, "disk full");
    return RotationProgress{1, 5};
  };
  expect_code(store->finish_tek_rotation(scope, failing, {}), sqlstate::kIoError);
  BOOST_TEST(store->unwrap(scope, 1u).ok());

  std::vector<RotationProgress> reported;
  auto step = [&](const UnwrappedTek& from, const UnwrappedTek& to) -> Result<RotationProgress> {
    BOOST_TEST(from.info.version == 1u);
    BOOST_TEST(to.info.version == 2u);
    for (int k = 0; k < 2 && next < pages.size(); ++k, ++next) {
      pages[next] = seal_with(to, open_with(from, pages[next]));
    }
    return RotationProgress{next, pages.size()};
  };
  BOOST_REQUIRE(store
                    ->finish_tek_rotation(scope, step,
                                          [&](const KeyScope& s, const RotationProgress& p) {
                                            BOOST_TEST(s.to_string() == "tablespace:users");
                                            reported.push_back(p);
                                          })
                    .ok());
  BOOST_REQUIRE(reported.size() == 3u);
  BOOST_TEST(reported[0].done == 2u);
  BOOST_TEST(reported[2].done == 5u);
  BOOST_TEST(reported[2].total == 5u);
  expect_code(status_of(store->unwrap(scope, 1u)), sqlstate::kUndefinedObject);
  auto v2 = store->unwrap(scope, std::nullopt);
  for (std::size_t i = 0; i < pages.size(); ++i) {
    BOOST_TEST(open_with(*v2, pages[i]) == "page " + std::to_string(i));
  }
}

BOOST_AUTO_TEST_CASE(a_stalled_reencryption_is_an_error_not_a_hang) {
  auto store = open(env_key(kHexA, "prod-1"));
  const auto scope = KeyScope::audit();
  BOOST_REQUIRE(store->create_tek(scope).ok());
  auto stalled = [](const UnwrappedTek&, const UnwrappedTek&) -> Result<RotationProgress> {
    return RotationProgress{1, 9};
  };
  expect_code(status_of(store->rotate_tek(scope, stalled, {})),
              sqlstate::kObjectNotInPrerequisiteState, "no progress");
  BOOST_TEST(store->unwrap(scope, 1u).ok());
}

BOOST_AUTO_TEST_CASE(destroy_deletes_every_version_of_a_scope_and_nothing_else) {
  auto store = open(env_key(kHexA, "prod-1"));
  const auto gone = KeyScope::tablespace("gone");
  const auto kept = KeyScope::tablespace("kept");
  BOOST_REQUIRE(store->create_tek(gone).ok());
  BOOST_REQUIRE(store->create_tek(kept).ok());
  BOOST_REQUIRE(store->begin_tek_rotation(gone).ok());  // versions 1 (decrypt-only) and 2
  BOOST_REQUIRE(store->reserve_invocations(gone, 2, 1000).ok());
  BOOST_REQUIRE(store->destroy(gone).ok());
  BOOST_TEST(store->versions(gone)->empty());
  expect_code(status_of(store->unwrap(gone, 1u)), sqlstate::kUndefinedObject);
  expect_code(status_of(store->unwrap(gone, std::nullopt)), sqlstate::kUndefinedObject);
  BOOST_TEST(*store->reserved_invocations(gone, 2) == 0u);
  BOOST_TEST(store->unwrap(kept, std::nullopt).ok());
  expect_code(store->destroy(gone), sqlstate::kUndefinedObject);
  // Not even in the file's free pages: no row of the scope's name is left in keys.db.
  store.reset();
  const std::string gone_id = id(gone), kept_id = id(kept);  // scopes are stored by lookup id
  std::ifstream in(keys() / "keys.db", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  BOOST_TEST(bytes.find(gone_id) == std::string::npos);
  BOOST_TEST(bytes.find(kept_id) != std::string::npos);
  // A new TEK of the scope starts afresh.
  auto again = open(env_key(kHexA, "prod-1"));
  auto fresh = again->create_tek(gone);
  BOOST_REQUIRE(fresh.ok());
  BOOST_TEST(fresh->version == 1u);
}

BOOST_AUTO_TEST_CASE(mek_rotation_rewraps_every_tek_and_retires_the_old_mek) {
  auto store = open(env_key(kHexA, "prod-1"));
  std::vector<std::pair<KeyScope, std::vector<std::uint8_t>>> data;
  for (const auto& scope : {KeyScope::tablespace("users"), KeyScope::columns("main.patients"),
                            KeyScope::audit(), KeyScope::policy()}) {
    BOOST_REQUIRE(store->create_tek(scope).ok());
    data.emplace_back(scope, seal_with(*store->unwrap(scope, std::nullopt), scope.to_string()));
  }
  BOOST_REQUIRE(store->begin_tek_rotation(KeyScope::audit()).ok());  // two live versions
  auto file_mek = create_file_provider(dir.path() / "next.key", "laptop-2");
  BOOST_REQUIRE(file_mek.ok());
  std::shared_ptr<MasterKeyProvider> next = std::move(*file_mek);
  clock.advance(std::chrono::hours(24));
  BOOST_REQUIRE(store->rotate_mek(next).ok());
  BOOST_TEST(store->mek_id() == "laptop-2");
  for (const auto& [scope, sealed] : data) {  // data untouched, still readable
    auto tek = store->unwrap(scope, 1u);
    BOOST_REQUIRE(tek.ok());
    BOOST_TEST(tek->info.mek_id == "laptop-2");
    BOOST_TEST(open_with(*tek, sealed) == scope.to_string());
  }
  BOOST_TEST(store->unwrap(KeyScope::audit(), 2u).ok());
  expect_code(store->rotate_mek(env_key(kHexA, "prod-1")), sqlstate::kDuplicateObject);
  store.reset();
  expect_code(status_of(TekStore::open(keys(), env_key(kHexA, "prod-1"), clock)),
              sqlstate::kSystemError, "was retired");
  auto reopened = open(std::move(next));
  BOOST_TEST(reopened->unwrap(KeyScope::policy(), std::nullopt).ok());
}

BOOST_AUTO_TEST_CASE(a_failed_mek_rotation_changes_nothing) {
  auto store = open(env_key(kHexA, "prod-1"));
  BOOST_REQUIRE(store->create_tek(KeyScope::tablespace("a")).ok());
  BOOST_REQUIRE(store->create_tek(KeyScope::tablespace("z")).ok());
  store.reset();
  // The last one re-wrapped.
  sql("UPDATE teks SET binding = zeroblob(32) WHERE scope = '" + id(KeyScope::tablespace("z")) +
      "'");
  store = open(env_key(kHexA, "prod-1"));
  expect_code(store->rotate_mek(env_key(kHexB, "prod-2")), sqlstate::kDataCorrupted);
  BOOST_TEST(store->mek_id() == "prod-1");
  BOOST_TEST(store->current(KeyScope::tablespace("a"))->mek_id == "prod-1");
  store.reset();
  auto again = open(env_key(kHexA, "prod-1"));  // still the active MEK
  BOOST_TEST(again->unwrap(KeyScope::tablespace("a"), std::nullopt).ok());
  expect_code(status_of(TekStore::open(keys(), env_key(kHexB, "prod-2"), clock)),
              sqlstate::kSystemError, "not the key");
}

// Issue 9 item 14: state and mek_id are bound, so a writer of keys.db cannot flip a retired
// version back to active, claim another master key, or replay an older record.
BOOST_AUTO_TEST_CASE(flipping_a_retired_version_back_to_active_is_detected) {
  const auto scope = KeyScope::tablespace("users");
  auto store = open(env_key(kHexA, "prod-1"));
  BOOST_REQUIRE(store->create_tek(scope).ok());
  BOOST_REQUIRE(store->begin_tek_rotation(scope).ok());
  BOOST_REQUIRE(store->unwrap(scope, 1u).ok());  // decrypt-only, still readable
  store.reset();
  sql("UPDATE teks SET state = 'active' WHERE version = 1");
  store = open(env_key(kHexA, "prod-1"));
  expect_code(status_of(store->unwrap(scope, 1u)), sqlstate::kDataCorrupted);
  expect_code(status_of(store->unwrap(scope, std::nullopt)), sqlstate::kDataCorrupted);
  store.reset();
  // Every version decrypt-only: no state invariant is broken, only the binding tells.
  sql("UPDATE teks SET state = 'decrypt_only'");
  store = open(env_key(kHexA, "prod-1"));
  expect_code(status_of(store->unwrap(scope, 2u)), sqlstate::kDataCorrupted);
}

BOOST_AUTO_TEST_CASE(a_record_naming_another_master_key_is_detected) {
  const auto scope = KeyScope::columns("main.patients");
  auto store = open(env_key(kHexA, "prod-1"));
  BOOST_REQUIRE(store->create_tek(scope).ok());
  BOOST_REQUIRE(store->rotate_mek(env_key(kHexB, "prod-2")).ok());
  BOOST_REQUIRE(store->unwrap(scope, std::nullopt).ok());
  store.reset();
  sql("UPDATE teks SET mek_id = 'prod-1'");
  store = open(env_key(kHexB, "prod-2"));
  expect_code(status_of(store->unwrap(scope, std::nullopt)), sqlstate::kDataCorrupted);
}

BOOST_AUTO_TEST_CASE(a_replayed_older_record_is_detected) {
  const auto scope = KeyScope::tablespace("users");
  auto store = open(env_key(kHexA, "prod-1"));
  BOOST_REQUIRE(store->create_tek(scope).ok());
  store.reset();
  sql("CREATE TABLE saved AS SELECT * FROM teks");  // a copy of the record while active
  store = open(env_key(kHexA, "prod-1"));
  BOOST_REQUIRE(store->begin_tek_rotation(scope).ok());
  store.reset();
  sql("UPDATE teks SET (state, binding) = (SELECT state, binding FROM saved WHERE "
      "saved.version = teks.version) WHERE version = 1");
  store = open(env_key(kHexA, "prod-1"));
  expect_code(status_of(store->unwrap(scope, std::nullopt)), sqlstate::kDataCorrupted);
  expect_code(status_of(store->versions(scope)), sqlstate::kDataCorrupted);
}

namespace {
// Turns the store's records back into format 2 (plain scope names, no names key), as an older
// dbvault wrote them.
void downgrade_to_format_2(StoreFixture& f, const KeyScope& scope) {
  const std::string id = f.id(scope);
  f.sql("UPDATE teks SET scope = '" + scope.to_string() + "', scope_sealed = NULL WHERE scope = '" +
        id + "'");
  f.sql("UPDATE tek_budgets SET scope = '" + scope.to_string() + "' WHERE scope = '" + id + "'");
  f.sql("DELETE FROM names_key");
  f.sql("UPDATE meta SET value = '2' WHERE key = 'format_version'");
}

// Turns the store's records back into format 1, as an older dbvault wrote them.
void downgrade_to_format_1(StoreFixture& f, TekStore& store, const KeyScope& scope) {
  auto versions = store.versions(scope);
  BOOST_REQUIRE(versions.ok());
  std::vector<std::string> updates;  // all tags first: a format 1 row is unreadable as format 2
  for (const auto& info : *versions) {
    auto tek = store.unwrap(scope, info.version);
    BOOST_REQUIRE(tek.ok());
    auto tag = internal::binding_tag(tek->key, info, 1);
    BOOST_REQUIRE(tag.ok());
    std::string hex;
    for (std::uint8_t b : *tag) {
      hex += "0123456789abcdef"[b >> 4];
      hex += "0123456789abcdef"[b & 15];
    }
    updates.push_back("UPDATE teks SET record_version = 1, binding = X'" + hex +
                      "' WHERE scope = '" + scope.to_string() +
                      "' AND version = " + std::to_string(info.version));
  }
  downgrade_to_format_2(f, scope);
  for (const auto& u : updates) f.sql(u);
  f.sql("UPDATE meta SET value = '1' WHERE key = 'format_version'");
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_format_1_store_is_migrated_on_open_and_a_tampered_one_refused) {
  const auto scope = KeyScope::tablespace("users");
  auto store = open(env_key(kHexA, "prod-1"));
  BOOST_REQUIRE(store->create_tek(scope).ok());
  BOOST_REQUIRE(store->begin_tek_rotation(scope).ok());
  const auto before = seal_with(*store->unwrap(scope, std::nullopt), "row");
  downgrade_to_format_1(*this, *store, scope);
  store.reset();
  store = open(env_key(kHexA, "prod-1"));  // migrates
  BOOST_TEST(open_with(*store->unwrap(scope, std::nullopt), before) == "row");
  BOOST_TEST(store->unwrap(scope, 1u).ok());

  downgrade_to_format_1(*this, *store, scope);
  store.reset();
  sql("UPDATE teks SET state = 'active' WHERE version = 1");  // format 1 did not bind it
  expect_code(status_of(TekStore::open(keys(), env_key(kHexA, "prod-1"), clock)),
              sqlstate::kDataCorrupted, "active version");
}

namespace {
std::string file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// `name` in keys.db (or its journal) in plain, UTF-16 (LE, BE) or hex (lower, upper) form.
bool reveals(const std::filesystem::path& keys_dir, const std::string& name) {
  std::string all;
  for (const char* f : {"keys.db", "keys.db-journal", "keys.db-wal"}) {
    if (std::filesystem::exists(keys_dir / f)) all += file_bytes(keys_dir / f);
  }
  std::string le, be, hex, upper;
  for (char c : name) {
    le += c;
    le += '\0';
    be += '\0';
    be += c;
    hex += "0123456789abcdef"[static_cast<unsigned char>(c) >> 4];
    hex += "0123456789abcdef"[c & 15];
    upper += "0123456789ABCDEF"[static_cast<unsigned char>(c) >> 4];
    upper += "0123456789ABCDEF"[c & 15];
  }
  for (const std::string& form : {name, le, be, hex, upper}) {
    if (all.find(form) != std::string::npos) return true;
  }
  return false;
}
}  // namespace

BOOST_AUTO_TEST_CASE(keys_db_reveals_no_scope_name_and_still_finds_every_key) {
  const auto ts = KeyScope::tablespace("payrollmarker"), cols = KeyScope::columns("main.ssnmarker");
  {
    auto store = open(env_key(kHexA, "prod-1"));
    BOOST_REQUIRE(store->create_tek(ts).ok());
    BOOST_REQUIRE(store->create_tek(cols).ok());
    BOOST_REQUIRE(store->reserve_invocations(ts, 1, 1000).ok());
    BOOST_REQUIRE(store->begin_tek_rotation(ts).ok());
    BOOST_REQUIRE(store->rotate_mek(env_key(kHexB, "prod-2")).ok());
  }
  BOOST_TEST(!reveals(keys(), "payrollmarker"));
  BOOST_TEST(!reveals(keys(), "ssnmarker"));
  auto store = open(env_key(kHexB, "prod-2"));  // the names key was re-wrapped too
  auto versions = store->versions(ts);
  BOOST_REQUIRE(versions.ok());
  BOOST_TEST(versions->size() == 2u);
  BOOST_TEST((versions->front().scope == ts));
  BOOST_TEST(*store->reserved_invocations(ts, 1) == 1000u);
  BOOST_TEST(store->unwrap(cols, std::nullopt).ok());
  BOOST_REQUIRE(store->destroy(cols).ok());
  expect_code(status_of(store->current(cols)), sqlstate::kUndefinedObject);
}

BOOST_AUTO_TEST_CASE(a_format_2_store_is_migrated_and_its_plain_names_are_gone) {
  const auto scope = KeyScope::tablespace("legacymarker");
  auto store = open(env_key(kHexA, "prod-1"));
  BOOST_REQUIRE(store->create_tek(scope).ok());
  BOOST_REQUIRE(store->reserve_invocations(scope, 1, 77).ok());
  const auto before = seal_with(*store->unwrap(scope, std::nullopt), "row");
  store.reset();
  downgrade_to_format_2(*this, scope);
  BOOST_REQUIRE(reveals(keys(), "legacymarker"));  // the test's premise: format 2 shows it
  store = open(env_key(kHexA, "prod-1"));          // migrates
  BOOST_TEST(!reveals(keys(), "legacymarker"));
  BOOST_TEST(open_with(*store->unwrap(scope, std::nullopt), before) == "row");
  BOOST_TEST(*store->reserved_invocations(scope, 1) == 77u);
}

BOOST_AUTO_TEST_CASE(a_sealed_name_moved_to_another_record_or_a_lost_names_key_is_refused) {
  const auto a = KeyScope::tablespace("a"), b = KeyScope::tablespace("b");
  auto store = open(env_key(kHexA, "prod-1"));
  BOOST_REQUIRE(store->create_tek(a).ok());
  BOOST_REQUIRE(store->create_tek(b).ok());
  store.reset();
  // b's record takes a's sealed name: it opens (its id is its AAD) only under a's id.
  sql("UPDATE teks SET scope_sealed = (SELECT scope_sealed FROM teks WHERE scope = '" + id(a) +
      "') WHERE scope = '" + id(b) + "'");
  store = open(env_key(kHexA, "prod-1"));
  expect_code(status_of(store->unwrap(b, std::nullopt)), sqlstate::kDataCorrupted, "scope name");
  store.reset();
  sql("DELETE FROM names_key");
  expect_code(status_of(TekStore::open(keys(), env_key(kHexA, "prod-1"), clock)),
              sqlstate::kDataCorrupted, "names key");
}

BOOST_AUTO_TEST_CASE(invocation_reservations_persist_and_never_go_down) {
  const auto scope = KeyScope::tablespace("users");
  auto store = open(env_key(kHexA, "prod-1"));
  BOOST_REQUIRE(store->create_tek(scope).ok());
  BOOST_TEST(*store->reserved_invocations(scope, 1) == 0u);
  BOOST_REQUIRE(store->reserve_invocations(scope, 1, 70000).ok());
  BOOST_REQUIRE(store->reserve_invocations(scope, 1, 5).ok());
  store.reset();
  store = open(env_key(kHexA, "prod-1"));
  BOOST_TEST(*store->reserved_invocations(scope, 1) == 70000u);
}

BOOST_AUTO_TEST_SUITE_END()
