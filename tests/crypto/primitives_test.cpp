// SecretBytes, CSPRNG, key wrap (RFC 5649), HKDF (RFC 5869), HMAC (RFC 4231), Argon2id
// (RFC 9106): known answers, tamper detection and contracts.
#include <boost/test/unit_test.hpp>
#include <set>

#include "crypto/kdf.h"
#include "crypto/key_wrap.h"
#include "crypto/mac.h"
#include "crypto/password_hash.h"
#include "crypto/random.h"
#include "crypto/secret_bytes.h"
#include "tests/crypto/test_util.h"

using namespace dbvault;
using namespace dbvault::crypto;
using namespace dbvault::crypto::test;

namespace {
// Cheap Argon2id parameters for tests that are not about the defaults.
Argon2Params cheap() {
  Argon2Params p;
  p.memory_kib = 64;
  p.iterations = 1;
  return p;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(primitives)

BOOST_AUTO_TEST_CASE(secret_bytes_are_move_only_locked_and_wiped) {
  static_assert(!std::is_copy_constructible_v<SecretBytes>);
  static_assert(!std::is_copy_assignable_v<SecretBytes>);
  auto key = SecretBytes::copy_of(from_hex("00112233445566778899aabbccddeeff"));
  BOOST_TEST(key.size() == 16u);
  BOOST_TEST(key.locked() == secure_heap_active());
  const std::uint8_t* p = key.data();
  key.wipe();
  BOOST_TEST(key.empty());
  for (int i = 0; i < 16; ++i) BOOST_TEST(p[i] == 0);  // buffer still owned, now zero
  auto a = SecretBytes::copy_of(bytes_of("abc"));
  SecretBytes b = std::move(a);
  BOOST_TEST(a.empty());  // NOLINT(bugprone-use-after-move): the contract under test
  BOOST_TEST(b.equals(SecretBytes::copy_of(bytes_of("abc"))));
  BOOST_TEST(!b.equals(SecretBytes::copy_of(bytes_of("abd"))));
  SecretBytes c = b.clone();
  BOOST_TEST(c.equals(b));
  c.truncate(1);
  BOOST_TEST(c.size() == 1u);
}

BOOST_AUTO_TEST_CASE(random_keys_differ_and_have_the_requested_size) {
  std::set<std::string> seen;
  for (int i = 0; i < 32; ++i) {
    auto k = random_key(32);
    BOOST_REQUIRE(k.ok());
    BOOST_TEST(k->size() == 32u);
    seen.insert(to_hex(k->view()));
  }
  BOOST_TEST(seen.size() == 32u);
  std::uint8_t nonce[12] = {};
  BOOST_TEST(random_bytes(nonce).ok());
}

BOOST_AUTO_TEST_CASE(key_wrap_with_padding_matches_rfc5649_vectors) {
  const auto kek = key_from_hex("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8");
  struct {
    const char* key;
    const char* wrapped;
  } const vectors[] = {
      {"c37b7e6492584340bed12207808941155068f738",
       "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a"},
      {"466f7250617369", "afbeb0f07dfbf5419200f2ccb50bb24f"},
  };
  for (const auto& v : vectors) {
    auto wrapped = wrap_key(kek, key_from_hex(v.key));
    BOOST_REQUIRE(wrapped.ok());
    BOOST_TEST(to_hex(*wrapped) == v.wrapped);
    auto key = unwrap_key(kek, from_hex(v.wrapped));
    BOOST_REQUIRE(key.ok());
    BOOST_TEST(to_hex(key->view()) == v.key);
  }
}

BOOST_AUTO_TEST_CASE(altered_wrapped_key_or_wrong_kek_is_rejected) {
  auto kek = random_key();
  auto tek = random_key();
  auto wrapped = wrap_key(*kek, *tek);
  BOOST_REQUIRE(wrapped.ok());
  BOOST_TEST(wrapped->size() == 40u);
  for (std::size_t pos = 0; pos < wrapped->size(); pos += 7) {
    auto bad = *wrapped;
    bad[pos] ^= 0x04;
    auto r = unwrap_key(*kek, bad);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().code == sqlstate::kDataCorrupted);
  }
  BOOST_TEST(!unwrap_key(*random_key(), *wrapped).ok());
  BOOST_TEST(!unwrap_key(*kek, std::span(*wrapped).first(32)).ok());
  BOOST_TEST(!unwrap_key(*kek, std::span(*wrapped).first(39)).ok());
  BOOST_TEST(!wrap_key(SecretBytes(20), *tek).ok());
  auto back = unwrap_key(*kek, *wrapped);
  BOOST_REQUIRE(back.ok());
  BOOST_TEST(back->equals(*tek));
}

BOOST_AUTO_TEST_CASE(hkdf_sha256_matches_rfc5869_vectors) {
  const auto ikm = SecretBytes::copy_of(std::vector<std::uint8_t>(22, 0x0b));
  auto okm1 = hkdf_sha256(ikm, from_hex("000102030405060708090a0b0c"),
                          from_hex("f0f1f2f3f4f5f6f7f8f9"), 42);
  BOOST_REQUIRE(okm1.ok());
  BOOST_TEST(
      to_hex(okm1->view()) ==
      "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  auto okm3 = hkdf_sha256(ikm, {}, {}, 42);  // test case 3: no salt, no info
  BOOST_REQUIRE(okm3.ok());
  BOOST_TEST(
      to_hex(okm3->view()) ==
      "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
  BOOST_TEST(!hkdf_sha256(SecretBytes(), {}, {}, 32).ok());
  BOOST_TEST(!hkdf_sha256(ikm, {}, {}, 255 * 32 + 1).ok());
  auto audit = derive_subkey(ikm, "dbvault audit-mac v1");
  auto token = derive_subkey(ikm, "dbvault token-mac v1");
  BOOST_REQUIRE(audit.ok() && token.ok());
  BOOST_TEST(!audit->equals(*token));  // purposes separate keys
}

BOOST_AUTO_TEST_CASE(hmac_sha256_matches_rfc4231_vectors) {
  struct {
    std::vector<std::uint8_t> key;
    std::string data;
    const char* mac;
  } const vectors[] = {
      {std::vector<std::uint8_t>(20, 0x0b), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {{'J', 'e', 'f', 'e'},
       "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {std::vector<std::uint8_t>(131, 0xaa),
       "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
  };
  for (const auto& v : vectors) {
    const auto key = SecretBytes::copy_of(v.key);
    auto mac = hmac_sha256(key, bytes_of(v.data));
    BOOST_REQUIRE(mac.ok());
    BOOST_TEST(to_hex(*mac) == v.mac);
    BOOST_TEST(verify_hmac_sha256(key, bytes_of(v.data), from_hex(v.mac)));
    auto bad = from_hex(v.mac);
    bad[31] ^= 1;
    BOOST_TEST(!verify_hmac_sha256(key, bytes_of(v.data), bad));
    // Incremental use gives the same tag, twice in a row (finish() resets).
    auto inc = HmacSha256::create(key);
    BOOST_REQUIRE(inc.ok());
    for (int round = 0; round < 2; ++round) {
      const auto half = v.data.size() / 2;
      BOOST_REQUIRE(inc->update(bytes_of(std::string_view(v.data).substr(0, half))).ok());
      BOOST_REQUIRE(inc->update(bytes_of(std::string_view(v.data).substr(half))).ok());
      auto tag = inc->finish();
      BOOST_REQUIRE(tag.ok());
      BOOST_TEST(to_hex(*tag) == v.mac);
    }
  }
  BOOST_TEST(!hmac_sha256(SecretBytes(), bytes_of("x")).ok());
}

BOOST_AUTO_TEST_CASE(argon2id_matches_rfc9106_vector) {
  // RFC 9106 §5.3: Argon2id, m = 32 KiB, t = 3, p = 4, 32-byte tag.
  const std::vector<std::uint8_t> password(32, 0x01), salt(16, 0x02), secret(8, 0x03), ad(12, 0x04);
  Argon2Params params;
  params.memory_kib = 32;
  params.iterations = 3;
  params.parallelism = 4;
  auto tag = argon2id_derive({password, salt, secret, ad}, params, 32);
  BOOST_REQUIRE(tag.ok());
  BOOST_TEST(to_hex(tag->view()) ==
             "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
}

BOOST_AUTO_TEST_CASE(password_hash_round_trips_in_phc_format) {
  auto phc = hash_password(SecretString("vault_secret_2025"), cheap());
  BOOST_REQUIRE(phc.ok());
  BOOST_TEST(phc->rfind("$argon2id$v=19$m=64,t=1,p=1$", 0) == 0u);
  BOOST_TEST(*verify_password(SecretString("vault_secret_2025"), *phc));
  BOOST_TEST(!*verify_password(SecretString("vault_secret_2026"), *phc));
  BOOST_TEST(!*verify_password(SecretString(""), *phc));
  auto again = hash_password(SecretString("vault_secret_2025"), cheap());
  BOOST_TEST(*again != *phc);  // fresh salt
  auto params = parse_phc_params(*phc);
  BOOST_REQUIRE(params.ok());
  BOOST_TEST(params->memory_kib == 64u);
  BOOST_TEST(params->salt_bytes == 16u);
  BOOST_TEST(params->hash_bytes == 32u);
}

BOOST_AUTO_TEST_CASE(password_hash_defaults_are_the_owasp_minimum) {
  const Argon2Params d;
  BOOST_TEST(d.memory_kib == 19456u);
  BOOST_TEST(d.iterations == 2u);
  BOOST_TEST(d.parallelism == 1u);
  auto phc = hash_password(SecretString("pw"));
  BOOST_REQUIRE(phc.ok());
  BOOST_TEST(phc->rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0) == 0u);
  BOOST_TEST(*verify_password(SecretString("pw"), *phc));
}

BOOST_AUTO_TEST_CASE(malformed_or_unbounded_phc_strings_are_errors_not_mismatches) {
  auto phc = hash_password(SecretString("pw"), cheap());
  BOOST_REQUIRE(phc.ok());
  for (const std::string& bad :
       {std::string("$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA"),
        std::string("$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA"),
        std::string("$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$") +
            "aGFzaGhhc2hoYXNoaGFzaA",
        std::string("$argon2id$v=19$m=64,t=1$c2FsdA$aGFzaA"), std::string(""),
        phc->substr(0, phc->size() - 1) + "!"}) {
    BOOST_TEST_CONTEXT(bad) {
      auto r = verify_password(SecretString("pw"), bad);
      BOOST_REQUIRE(!r.ok());
      BOOST_TEST(r.error().code == sqlstate::kInvalidParameterValue);
    }
  }
  Argon2Params weak = cheap();
  weak.salt_bytes = 8;
  BOOST_TEST(!hash_password(SecretString("pw"), weak).ok());
}

BOOST_AUTO_TEST_SUITE_END()
