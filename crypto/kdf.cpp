#include "crypto/kdf.h"

#include <openssl/core_names.h>
#include <openssl/params.h>

#include "crypto/openssl_util.h"

namespace dbvault::crypto {

Result<SecretBytes> hkdf_sha256(const SecretBytes& ikm, std::span<const std::uint8_t> salt,
                                std::span<const std::uint8_t> info, std::size_t length) {
  if (ikm.empty() || length == 0 || length > 255 * 32) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "HKDF: input key must be non-empty and output 1..8160 bytes");
  }
  static const internal::KdfPtr kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  internal::KdfCtxPtr ctx(kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr);
  if (!ctx) return internal::openssl_error(sqlstate::kSystemError, "HKDF unavailable");
  // OSSL_PARAM takes non-const pointers for input octet strings; OpenSSL only reads them.
  auto* ikm_ptr = const_cast<std::uint8_t*>(ikm.data());    // NOLINT
  auto* salt_ptr = const_cast<std::uint8_t*>(salt.data());  // NOLINT
  auto* info_ptr = const_cast<std::uint8_t*>(info.data());  // NOLINT
  char digest[] = "SHA256";
  // Empty salt/info are left out: OpenSSL rejects zero-length octet parameters with a null
  // pointer, and RFC 5869 defines an absent salt as HashLen zero bytes anyway.
  OSSL_PARAM params[5];
  std::size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikm_ptr, ikm.size());
  if (!salt.empty()) {
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt_ptr, salt.size());
  }
  if (!info.empty()) {
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info_ptr, info.size());
  }
  params[n] = OSSL_PARAM_construct_end();
  SecretBytes out(length);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    return internal::openssl_error(sqlstate::kSystemError, "HKDF derivation failed");
  }
  return out;
}

Result<SecretBytes> derive_subkey(const SecretBytes& root_key, std::string_view purpose) {
  const std::span<const std::uint8_t> info(reinterpret_cast<const std::uint8_t*>(purpose.data()),
                                           purpose.size());
  return hkdf_sha256(root_key, {}, info, 32);
}

}  // namespace dbvault::crypto
