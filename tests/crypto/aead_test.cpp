// AEAD: known answers (NIST GCM, RFC 8439), round trips and tamper detection.
#include "crypto/aead.h"

#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "crypto/deterministic_aead.h"
#include "crypto/random.h"
#include "tests/crypto/test_util.h"

using namespace dbvault;
using namespace dbvault::crypto;
using namespace dbvault::crypto::test;

namespace {

struct Vector {
  AeadAlgorithm algorithm;
  const char* key;
  const char* nonce;
  const char* aad;
  const char* plaintext;
  const char* ciphertext;
  const char* tag;
};

// GCM: "The Galois/Counter Mode of Operation" (McGrew & Viega, as used in NIST's GCM
// validation), test cases 13 and 16 (AES-256). ChaCha20-Poly1305: RFC 8439 §2.8.2.
const Vector kVectors[] = {
    {AeadAlgorithm::kAes256Gcm, "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {AeadAlgorithm::kAes256Gcm, "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e24"
     "49a6b525b16aedf5aa0de657ba637b39",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b10"
     "56828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
    {AeadAlgorithm::kChaCha20Poly1305,
     "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", "070000004041424344454647",
     "50515253c0c1c2c3c4c5c6c7",
     // "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the
     // future, sunscreen would be it."
     "4c616469657320616e642047656e746c656d656e206f662074686520636c617373206f66202739393a204966"
     "204920636f756c64206f6666657220796f75206f6e6c79206f6e652074697020666f7220746865206675747572"
     "652c2073756e73637265656e20776f756c642062652069742e",
     "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69"
     "da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad67594"
     "5585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116",
     "1ae10b594f09e26a7e902ecbd0600691"},
};

Aead make(AeadAlgorithm algorithm, std::shared_ptr<InvocationBudget> budget = nullptr) {
  auto key = random_key();
  BOOST_REQUIRE(key.ok());
  auto aead = Aead::create(algorithm, *key, std::move(budget));
  BOOST_REQUIRE(aead.ok());
  return std::move(aead).value();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(aead)

BOOST_AUTO_TEST_CASE(known_answer_vectors_encrypt_and_decrypt) {
  for (const auto& v : kVectors) {
    BOOST_TEST_CONTEXT(algorithm_name(v.algorithm) << " tag " << v.tag) {
      auto aead = Aead::create(v.algorithm, key_from_hex(v.key));
      BOOST_REQUIRE(aead.ok());
      const auto nonce = from_hex(v.nonce), aad = from_hex(v.aad), pt = from_hex(v.plaintext);
      std::vector<std::uint8_t> ct(pt.size()), tag(kAeadTagSize);
      BOOST_REQUIRE(aead->seal_detached(nonce, pt, aad, ct, tag).ok());
      BOOST_TEST(to_hex(ct) == v.ciphertext);
      BOOST_TEST(to_hex(tag) == v.tag);
      std::vector<std::uint8_t> back(ct.size());
      BOOST_REQUIRE(aead->open_detached(nonce, ct, aad, tag, back).ok());
      BOOST_TEST(to_hex(back) == v.plaintext);
    }
  }
}

BOOST_AUTO_TEST_CASE(seal_open_round_trip_with_random_nonces) {
  for (auto alg : {AeadAlgorithm::kAes256Gcm, AeadAlgorithm::kChaCha20Poly1305}) {
    Aead aead = make(alg);
    const auto aad = bytes_of("page 7 of tablespace users");
    std::vector<std::uint8_t> page(4096, 0x5a);
    auto a = aead.seal(page, aad);
    auto b = aead.seal(page, aad);
    BOOST_REQUIRE(a.ok() && b.ok());
    BOOST_TEST(a->size() == page.size() + kAeadOverhead);
    BOOST_TEST((*a != *b));  // fresh nonce per message
    auto back = aead.open(*a, aad);
    BOOST_REQUIRE(back.ok());
    BOOST_TEST((*back == page));
    auto empty = aead.seal({}, {});
    BOOST_REQUIRE(empty.ok());
    BOOST_TEST(aead.open(*empty, {}).ok());
  }
}

BOOST_AUTO_TEST_CASE(any_flipped_bit_in_nonce_ciphertext_tag_or_aad_is_rejected) {
  for (auto alg : {AeadAlgorithm::kAes256Gcm, AeadAlgorithm::kChaCha20Poly1305}) {
    Aead aead = make(alg);
    const std::vector<std::uint8_t> aad = {1, 2, 3, 4};
    const std::vector<std::uint8_t> pt(100, 7);
    auto sealed = aead.seal(pt, aad);
    BOOST_REQUIRE(sealed.ok());
    // Positions: first nonce byte, a ciphertext byte, last tag byte.
    for (std::size_t pos : {std::size_t{0}, kAeadNonceSize + 50, sealed->size() - 1}) {
      auto bad = *sealed;
      bad[pos] ^= 0x01;
      auto r = aead.open(bad, aad);
      BOOST_REQUIRE(!r.ok());
      BOOST_TEST(r.error().code == sqlstate::kDataCorrupted);
    }
    auto bad_aad = aad;
    bad_aad[2] ^= 0x80;
    BOOST_TEST(!aead.open(*sealed, bad_aad).ok());
    BOOST_TEST(!aead.open(std::span(*sealed).first(sealed->size() - 1), aad).ok());
    BOOST_TEST(!aead.open(std::span(*sealed).first(10), aad).ok());
    BOOST_TEST(!make(alg).open(*sealed, aad).ok());  // another key
  }
}

BOOST_AUTO_TEST_CASE(failed_open_into_leaves_no_plaintext) {
  Aead aead = make(AeadAlgorithm::kAes256Gcm);
  std::vector<std::uint8_t> pt(64, 0x41);
  auto sealed = aead.seal(pt, {});
  BOOST_REQUIRE(sealed.ok());
  (*sealed)[kAeadNonceSize] ^= 1;
  std::vector<std::uint8_t> out(pt.size(), 0xee);
  BOOST_TEST(!aead.open_into(*sealed, {}, out).ok());
  BOOST_TEST((out == std::vector<std::uint8_t>(pt.size(), 0)));
}

BOOST_AUTO_TEST_CASE(invocation_budget_is_shared_and_forces_rotation) {
  auto budget = std::make_shared<InvocationBudget>(4);
  Aead a = make(AeadAlgorithm::kAes256Gcm, budget);
  auto key = random_key();
  auto b = Aead::create(AeadAlgorithm::kAes256Gcm, *key, budget);
  BOOST_REQUIRE(b.ok());
  BOOST_TEST(a.seal(bytes_of("x"), {}).ok());
  BOOST_TEST(!budget->rotation_due());
  BOOST_TEST(b->seal(bytes_of("x"), {}).ok());
  BOOST_TEST(budget->rotation_due());
  BOOST_TEST(a.seal(bytes_of("x"), {}).ok());
  BOOST_TEST(b->seal(bytes_of("x"), {}).ok());
  auto refused = a.seal(bytes_of("x"), {});
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.error().code == sqlstate::kObjectNotInPrerequisiteState);
  BOOST_TEST(budget->used() == 4u);
  BOOST_TEST(InvocationBudget().limit() == (std::uint64_t{1} << 31));
}

BOOST_AUTO_TEST_CASE(a_forked_child_never_reuses_the_parents_batched_nonces) {
  Aead aead = make(AeadAlgorithm::kAes256Gcm);
  BOOST_REQUIRE(aead.seal(bytes_of("x"), {}).ok());  // the parent now holds a nonce batch
  int fds[2];
  BOOST_REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {  // child: report the nonce of its next message, then leave at once
    auto sealed = aead.seal(bytes_of("x"), {});
    const bool ok = sealed.ok() && ::write(fds[1], sealed->data(), kAeadNonceSize) ==
                                       static_cast<ssize_t>(kAeadNonceSize);
    ::_exit(ok ? 0 : 1);
  }
  ::close(fds[1]);
  std::uint8_t child_nonce[kAeadNonceSize] = {};
  const ssize_t n = ::read(fds[0], child_nonce, sizeof child_nonce);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  BOOST_REQUIRE(n == static_cast<ssize_t>(kAeadNonceSize));
  BOOST_REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  auto parent = aead.seal(bytes_of("x"), {});
  BOOST_REQUIRE(parent.ok());
  BOOST_TEST(to_hex(std::span(parent->data(), kAeadNonceSize)) != to_hex(child_nonce));
}

BOOST_AUTO_TEST_CASE(wrong_key_size_and_unknown_algorithm_names_are_refused) {
  auto r = Aead::create(AeadAlgorithm::kAes256Gcm, SecretBytes(16));
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code == sqlstate::kInvalidParameterValue);
  BOOST_TEST(!parse_aead_algorithm("AES-128-ECB").ok());
  BOOST_TEST((*parse_aead_algorithm("CHACHA20-POLY1305") == AeadAlgorithm::kChaCha20Poly1305));
  BOOST_TEST((*parse_aead_algorithm(algorithm_name(AeadAlgorithm::kAes256Gcm)) ==
              AeadAlgorithm::kAes256Gcm));
}

BOOST_AUTO_TEST_CASE(deterministic_aead_is_deterministic_and_authenticated) {
  auto tek = random_key();
  auto det = DeterministicAead::create(*tek);
  BOOST_REQUIRE(det.ok());
  const auto column = bytes_of("main.patients.ssn");
  auto a = det->seal(bytes_of("123-45-6789"), column);
  auto b = det->seal(bytes_of("123-45-6789"), column);
  auto c = det->seal(bytes_of("123-45-6780"), column);
  auto d = det->seal(bytes_of("123-45-6789"), bytes_of("main.staff.ssn"));
  BOOST_REQUIRE(a.ok() && b.ok() && c.ok() && d.ok());
  BOOST_TEST((*a == *b));  // equality-searchable
  BOOST_TEST((*a != *c));
  BOOST_TEST((*a != *d));  // AAD separates columns
  BOOST_TEST(a->size() == kDeterministicOverhead + 11);
  auto back = det->open(*a, column);
  BOOST_REQUIRE(back.ok());
  BOOST_TEST(std::string(back->begin(), back->end()) == "123-45-6789");
  for (std::size_t pos : {std::size_t{0}, kSivSize + 3}) {
    auto bad = *a;
    bad[pos] ^= 0x10;
    auto r = det->open(bad, column);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().code == sqlstate::kDataCorrupted);
  }
  BOOST_TEST(!det->open(*a, bytes_of("main.staff.ssn")).ok());
  auto empty = det->seal({}, column);
  BOOST_REQUIRE(empty.ok());
  BOOST_TEST(det->open(*empty, column).ok());
}

BOOST_AUTO_TEST_SUITE_END()
