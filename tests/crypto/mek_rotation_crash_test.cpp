// Master-key rotation survives a kill -9 at any point: a child process rotates the key store and
// is SIGKILLed in the middle of the re-wrap (from inside the new provider's wrap, after some
// TEKs were re-wrapped) or right after the commit. The parent then reopens the store: before the
// commit the old master key opens it and the new one is unknown; after it the new one opens it
// and the old one is retired. Either way every TEK unwraps to the bytes it had. Real providers:
// env -> env, file -> file, env -> pkcs11 (SoftHSM2).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <functional>
#include <map>

#include "crypto/file_provider.h"
#include "crypto/tek_store.h"
#include "tests/crypto/pkcs11_fixture.h"
#include "tests/crypto/test_util.h"

using namespace dbvault;
using namespace dbvault::crypto;
using namespace dbvault::crypto::test;

namespace {

constexpr const char* kOldHex = "5d1c0a7e93b24f68a1e0c3d5b7f9a2c4e6081a3b5c7d9e0f1a2b3c4d5e6f7a8b";
constexpr const char* kNewHex = "c0ffee11d00d4e5fa6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f80910a1b";
constexpr int kScopes = 6;

using ProviderFactory = std::function<std::shared_ptr<MasterKeyProvider>()>;

// Forwards to `inner`; SIGKILLs the process on wrap number `kill_at` (1-based): a crash in the
// middle of the re-wrap, with some TEKs already re-wrapped inside the open transaction.
class KillOnWrap final : public MasterKeyProvider {
 public:
  KillOnWrap(std::shared_ptr<MasterKeyProvider> inner, int kill_at)
      : inner_(std::move(inner)), kill_at_(kill_at) {}
  std::string_view kind() const override { return inner_->kind(); }
  const std::string& key_id() const override { return inner_->key_id(); }
  Result<std::vector<std::uint8_t>> wrap(const SecretBytes& key) override {
    if (++wraps_ == kill_at_) ::raise(SIGKILL);
    return inner_->wrap(key);
  }
  Result<SecretBytes> unwrap(std::span<const std::uint8_t> wrapped) override {
    return inner_->unwrap(wrapped);
  }
  Status check() override { return inner_->check(); }

 private:
  std::shared_ptr<MasterKeyProvider> inner_;
  int kill_at_;
  int wraps_ = 0;
};

ManualClock& clock() {
  static ManualClock c(TimePoint(std::chrono::microseconds(1'700'000'000'000'000)));
  return c;
}

KeyScope scope(int i) { return KeyScope::tablespace("ts" + std::to_string(i)); }

// The key bytes of every scope (hex), read through `mek`; fails the test if the store refuses.
std::map<int, std::string> all_keys(const std::filesystem::path& dir,
                                    std::shared_ptr<MasterKeyProvider> mek) {
  auto store = TekStore::open(dir, std::move(mek), clock());
  BOOST_REQUIRE_MESSAGE(store.ok(), (store.ok() ? "" : store.error().message));
  std::map<int, std::string> out;
  for (int i = 0; i < kScopes; ++i) {
    auto tek = (*store)->unwrap(scope(i), std::nullopt);
    BOOST_REQUIRE_MESSAGE(tek.ok(), (tek.ok() ? "" : tek.error().message));
    out[i] = to_hex(tek->key.view());
  }
  return out;
}

void expect_refused(const std::filesystem::path& dir, std::shared_ptr<MasterKeyProvider> mek,
                    std::string_view part) {
  auto store = TekStore::open(dir, std::move(mek), clock());
  BOOST_REQUIRE(!store.ok());
  BOOST_TEST(store.error().code == sqlstate::kSystemError);
  BOOST_TEST(store.error().message.find(part) != std::string::npos, store.error().message);
}

std::string active_id(const std::filesystem::path& dir) {
  auto active = TekStore::active_master_key(dir);
  BOOST_REQUIRE(active.ok());
  BOOST_REQUIRE(active->has_value());
  return (*active)->key_id;
}

// In a child: opens the store with `old_mek`, rotates to `next` (wrapped in KillOnWrap when
// kill_at > 0), and SIGKILLs itself after the commit. The parent sees the child killed.
void rotate_in_child_and_die(const std::filesystem::path& dir, const ProviderFactory& old_mek,
                             const ProviderFactory& next, int kill_at) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    auto store = TekStore::open(dir, old_mek(), clock());
    if (!store.ok()) ::_exit(3);
    std::shared_ptr<MasterKeyProvider> target = next();
    if (kill_at > 0) target = std::make_shared<KillOnWrap>(target, kill_at);
    const bool ok = (*store)->rotate_mek(target).ok();
    if (ok) ::raise(SIGKILL);  // after the commit, before any orderly close
    ::_exit(ok ? 0 : 4);
  }
  int status = 0;
  BOOST_REQUIRE(::waitpid(pid, &status, 0) == pid);
  BOOST_REQUIRE_MESSAGE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                        "the child was to die by SIGKILL; status " << status);
}

// The scenario for one pair of providers. `check_new_before_commit`: also check that the new
// key does not open the store after the crash before the commit (not for an HSM, which the
// parent opens only at the end).
void crash_then_reopen(const ProviderFactory& old_mek, const std::string& old_id,
                       const ProviderFactory& next, const std::string& new_id,
                       bool check_new_before_commit) {
  TempDir dir("mek-crash");
  const auto keys = dir.path() / "keys";
  {
    auto store = TekStore::open(keys, old_mek(), clock());
    BOOST_REQUIRE(store.ok());
    for (int i = 0; i < kScopes; ++i) BOOST_REQUIRE((*store)->create_tek(scope(i)).ok());
  }
  const auto before = all_keys(keys, old_mek());

  // Killed in the middle: wrap 1 is the new key-check value, 2.. the TEKs; the 3rd wrap kills,
  // with one TEK re-wrapped and the new key recorded inside the open transaction.
  rotate_in_child_and_die(keys, old_mek, next, 3);
  BOOST_TEST(active_id(keys) == old_id);
  BOOST_TEST((all_keys(keys, old_mek()) == before));
  if (check_new_before_commit) expect_refused(keys, next(), "not the key this data directory");

  // Killed right after the commit.
  rotate_in_child_and_die(keys, old_mek, next, 0);
  BOOST_TEST(active_id(keys) == new_id);
  expect_refused(keys, old_mek(), "retired by a master key rotation");
  BOOST_TEST((all_keys(keys, next()) == before));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mek_rotation_crash)

BOOST_AUTO_TEST_CASE(env_to_env_killed_mid_rewrap_and_after_commit) {
  crash_then_reopen([] { return env_key(kOldHex, "env-old"); }, "env-old",
                    [] { return env_key(kNewHex, "env-new"); }, "env-new", true);
}

BOOST_AUTO_TEST_CASE(file_to_file_killed_mid_rewrap_and_after_commit) {
  TempDir files("mek-files");
  const auto old_path = files.path() / "master.key";
  const auto new_path = files.path() / "master-file-new.key";
  BOOST_REQUIRE(create_file_provider(old_path, "file-old").ok());
  BOOST_REQUIRE(create_file_provider(new_path, "file-new").ok());
  auto open = [](const std::filesystem::path& p) {
    return [p]() -> std::shared_ptr<MasterKeyProvider> {
      auto r = open_file_provider(p);
      BOOST_REQUIRE(r.ok());
      return std::shared_ptr<MasterKeyProvider>(std::move(*r));
    };
  };
  crash_then_reopen(open(old_path), "file-old", open(new_path), "file-new", true);
}

BOOST_FIXTURE_TEST_CASE(env_to_pkcs11_killed_mid_rewrap_and_after_commit, SoftHsm) {
  // The HSM key is made (in the token) by each child; the parent opens the token only at the
  // end, so no PKCS#11 session crosses a fork.
  auto hsm = [this]() -> std::shared_ptr<MasterKeyProvider> {
    Pkcs11Options o = options(/*create=*/true);
    o.key_label = "hsm-new";
    auto r = open_pkcs11_provider(o);
    if (!r.ok()) {
      BOOST_TEST_MESSAGE(r.error().message);
      return nullptr;
    }
    return std::shared_ptr<MasterKeyProvider>(std::move(*r));
  };
  crash_then_reopen([] { return env_key(kOldHex, "env-old"); }, "env-old", hsm, "hsm-new", false);
}

BOOST_AUTO_TEST_SUITE_END()
