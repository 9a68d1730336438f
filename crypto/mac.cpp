#include "crypto/mac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

namespace dbvault::crypto {

Result<HmacSha256> HmacSha256::create(const SecretBytes& key) {
  if (key.empty()) return make_error(sqlstate::kInvalidParameterValue, "HMAC key is empty");
  static const internal::MacPtr mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  internal::MacCtxPtr ctx(mac ? EVP_MAC_CTX_new(mac.get()) : nullptr);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  if (!ctx || EVP_MAC_init(ctx.get(), key.data(), key.size(), params) != 1) {
    return internal::openssl_error(sqlstate::kSystemError, "cannot initialize HMAC-SHA256");
  }
  return HmacSha256(std::move(ctx));
}

Status HmacSha256::update(std::span<const std::uint8_t> data) {
  if (EVP_MAC_update(ctx_.get(), data.data(), data.size()) != 1) {
    return internal::openssl_error(sqlstate::kSystemError, "HMAC-SHA256 update failed");
  }
  return ok_status();
}

Result<MacTag> HmacSha256::finish() {
  MacTag tag{};
  std::size_t len = 0;
  // Re-initializing with a null key keeps the key already set (OpenSSL 3 EVP_MAC_init).
  if (EVP_MAC_final(ctx_.get(), tag.data(), &len, tag.size()) != 1 || len != tag.size() ||
      EVP_MAC_init(ctx_.get(), nullptr, 0, nullptr) != 1) {
    return internal::openssl_error(sqlstate::kSystemError, "HMAC-SHA256 failed");
  }
  return tag;
}

Result<MacTag> hmac_sha256(const SecretBytes& key, std::span<const std::uint8_t> data) {
  auto mac = HmacSha256::create(key);
  if (!mac) return std::move(mac).error();
  DBV_RETURN_IF_ERROR(mac->update(data));
  return mac->finish();
}

bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool verify_hmac_sha256(const SecretBytes& key, std::span<const std::uint8_t> data,
                        std::span<const std::uint8_t> tag) {
  auto expected = hmac_sha256(key, data);
  const bool match = expected.ok() && equal_constant_time(*expected, tag);
  // The expected tag is as secret as the tag it checks (a token's MAC is its credential).
  if (expected.ok()) OPENSSL_cleanse(expected->data(), expected->size());
  return match;
}

}  // namespace dbvault::crypto
