// The per-file cipher's building blocks: the WAL checksum mask computed as one block of
// keystream is byte for byte the mask format version 2 defines (so files written before read
// the same), and a child process after fork() never seals with a nonce its parent uses.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/test/unit_test.hpp>
#include <set>
#include <vector>

#include "crypto/aead.h"
#include "crypto/random.h"
#include "storage/vfs/checksum_mask.h"
#include "storage/vfs/page_key.h"

namespace dbvault::storage::vfs::test {
namespace {

using Mask = std::array<std::uint8_t, 8>;

// The definition (docs/encryption.md §3.4): the first 8 bytes AEAD_K'(nonce) XORs onto the
// plaintext, i.e. the ciphertext of 8 zero bytes.
Mask mask_by_definition(crypto::AeadAlgorithm algorithm, const crypto::SecretBytes& key,
                        std::span<const std::uint8_t> nonce) {
  auto aead = crypto::Aead::create(algorithm, key);
  BOOST_REQUIRE(aead);
  const Mask zeros{};
  Mask out{};
  std::array<std::uint8_t, crypto::kAeadTagSize> tag{};
  BOOST_REQUIRE(aead->seal_detached(nonce, zeros, {}, out, tag).ok());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(vfs_cipher)

BOOST_AUTO_TEST_CASE(checksum_mask_is_the_aead_keystream_of_format_2) {
  for (const auto algorithm :
       {crypto::AeadAlgorithm::kAes256Gcm, crypto::AeadAlgorithm::kChaCha20Poly1305}) {
    auto key = crypto::random_key(32);
    BOOST_REQUIRE(key);
    auto mask = ChecksumMask::create(algorithm, *key);
    BOOST_REQUIRE(mask);
    std::set<Mask> seen;
    for (int i = 0; i < 50; ++i) {
      std::array<std::uint8_t, crypto::kAeadNonceSize> nonce{};
      BOOST_REQUIRE(crypto::random_bytes(nonce).ok());
      Mask fast{};
      BOOST_REQUIRE(mask->compute(nonce, fast).ok());
      BOOST_TEST(fast == mask_by_definition(algorithm, *key, nonce));
      seen.insert(fast);
    }
    BOOST_TEST(seen.size() == 50u);  // a function of the nonce, not a constant
  }
}

BOOST_AUTO_TEST_CASE(checksum_mask_refuses_a_short_key) {
  auto key = crypto::random_key(16);
  BOOST_REQUIRE(key);
  BOOST_TEST(!ChecksumMask::create(crypto::AeadAlgorithm::kAes256Gcm, *key));
}

BOOST_AUTO_TEST_CASE(a_child_after_fork_draws_its_own_nonces) {
  auto bytes = crypto::random_key(32);
  BOOST_REQUIRE(bytes);
  auto key = PageKey::from_secret(crypto::AeadAlgorithm::kAes256Gcm, 1, *bytes);
  BOOST_REQUIRE(key);
  auto cipher = (*key)->cipher();
  BOOST_REQUIRE(cipher);
  const std::vector<std::uint8_t> plain(4096, 0x5a);
  std::vector<std::uint8_t> out(4096);
  const FileId id{};
  const PagePlace place{PageKind::kDatabase, 2, 0, {}, 1};
  const auto nonce_of = [&] {
    BOOST_REQUIRE(cipher->seal(plain, out, id, place).ok());
    const auto stamp = PageCipher::stamp_of(out);
    return std::vector<std::uint8_t>(stamp.begin() + kKeyVersionSize, stamp.end());
  };
  nonce_of();  // the parent holds a batch of nonces now
  int fds[2];
  BOOST_REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    auto n = nonce_of();
    const bool ok = ::write(fds[1], n.data(), n.size()) == static_cast<ssize_t>(n.size());
    ::_exit(ok ? 0 : 1);
  }
  ::close(fds[1]);
  std::vector<std::uint8_t> from_child(crypto::kAeadNonceSize);
  BOOST_REQUIRE(::read(fds[0], from_child.data(), from_child.size()) ==
                static_cast<ssize_t>(from_child.size()));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  BOOST_REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  BOOST_TEST(nonce_of() != from_child);  // the parent's next nonce is not the child's
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::storage::vfs::test
