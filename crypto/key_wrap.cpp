#include "crypto/key_wrap.h"

#include "crypto/openssl_util.h"

namespace dbvault::crypto {
namespace {

constexpr std::size_t kMaxKey = 4096;

bool valid_kek(const SecretBytes& kek) {
  return kek.size() == 16 || kek.size() == 24 || kek.size() == 32;
}

// Runs AES-256-WRAP-PAD over `in` into `out` (sized by the caller with room for one extra
// block, as OpenSSL requires); returns the number of bytes written or -1.
int run_wrap(const SecretBytes& kek, bool encrypt, std::span<const std::uint8_t> in,
             std::uint8_t* out) {
  const char* name = kek.size() == 16   ? "AES-128-WRAP-PAD"
                     : kek.size() == 24 ? "AES-192-WRAP-PAD"
                                        : "AES-256-WRAP-PAD";
  const EVP_CIPHER* cipher = internal::cached_cipher(name);
  internal::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (cipher == nullptr || !ctx) return -1;
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  int len = 0;
  int final_len = 0;
  if (EVP_CipherInit_ex2(ctx.get(), cipher, kek.data(), nullptr, encrypt ? 1 : 0, nullptr) != 1 ||
      EVP_CipherUpdate(ctx.get(), out, &len, in.data(), static_cast<int>(in.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), out + len, &final_len) != 1) {
    return -1;
  }
  return len + final_len;
}

}  // namespace

Result<std::vector<std::uint8_t>> wrap_key(const SecretBytes& kek, const SecretBytes& key) {
  if (!valid_kek(kek) || key.empty() || key.size() > kMaxKey) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "key wrap: KEK must be 16, 24 or 32 bytes and the key 1..4096 bytes");
  }
  std::vector<std::uint8_t> out((key.size() + 7) / 8 * 8 + 8 + 16);
  const int n = run_wrap(kek, true, key.view(), out.data());
  if (n < 0) return internal::openssl_error(sqlstate::kSystemError, "key wrap failed");
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Result<SecretBytes> unwrap_key(const SecretBytes& kek, std::span<const std::uint8_t> wrapped) {
  if (!valid_kek(kek)) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "key unwrap: KEK must be 16, 24 or 32 bytes");
  }
  if (wrapped.size() < 16 || wrapped.size() % 8 != 0 || wrapped.size() > kMaxKey + 8) {
    return make_error(sqlstate::kDataCorrupted, "key unwrap failed: wrapped key is malformed");
  }
  SecretBytes out(wrapped.size() + 16);
  const int n = run_wrap(kek, false, wrapped, out.data());
  if (n <= 0) {
    internal::clear_openssl_errors();
    return make_error(sqlstate::kDataCorrupted,
                      "key unwrap failed: wrong key-encryption key or altered wrapped key");
  }
  out.truncate(static_cast<std::size_t>(n));
  return out;
}

}  // namespace dbvault::crypto
