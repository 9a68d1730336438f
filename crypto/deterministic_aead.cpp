#include "crypto/deterministic_aead.h"

#include <openssl/crypto.h>

#include <cstring>
#include <limits>
#include <string_view>

#include "crypto/kdf.h"
#include "crypto/openssl_util.h"

namespace dbvault::crypto {
namespace {

constexpr std::string_view kInfo = "dbvault det-aead AES-256-SIV v1";
constexpr std::uint8_t kFormatVersion = 1;

// One SIV operation. For decryption `tag` is input; for encryption it is output.
bool run_siv(const SecretBytes& key, bool encrypt, std::span<const std::uint8_t> in,
             std::span<const std::uint8_t> aad, std::uint8_t* out, std::uint8_t* tag) {
  const EVP_CIPHER* cipher = internal::cached_cipher("AES-256-SIV");
  internal::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (cipher == nullptr || !ctx) return false;
  if (in.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      aad.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return false;
  }
  int len = 0;
  if (EVP_CipherInit_ex2(ctx.get(), cipher, key.data(), nullptr, encrypt ? 1 : 0, nullptr) != 1) {
    return false;
  }
  if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, kSivSize, tag) != 1) {
    return false;
  }
  if (!aad.empty() &&
      EVP_CipherUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
    return false;
  }
  // SIV takes the whole text in one update (it computes the IV over all of it first).
  if (EVP_CipherUpdate(ctx.get(), out, &len, in.data(), static_cast<int>(in.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), out, &len) != 1) {
    return false;
  }
  return !encrypt || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, kSivSize, tag) == 1;
}

}  // namespace

Result<DeterministicAead> DeterministicAead::create(const SecretBytes& tek) {
  if (tek.size() != 32) {
    return make_error(sqlstate::kInvalidParameterValue, "deterministic AEAD key must be 32 bytes");
  }
  const std::span<const std::uint8_t> info(reinterpret_cast<const std::uint8_t*>(kInfo.data()),
                                           kInfo.size());
  auto key = hkdf_sha256(tek, {}, info, 64);
  if (!key) return std::move(key).error();
  return DeterministicAead(std::move(*key));
}

Result<DeterministicAead> DeterministicAead::create_with_siv_key(const SecretBytes& siv_key) {
  if (siv_key.size() != 64) {
    return make_error(sqlstate::kInvalidParameterValue, "AES-256-SIV key must be 64 bytes");
  }
  return DeterministicAead(siv_key.clone());
}

Result<std::vector<std::uint8_t>> DeterministicAead::seal(std::span<const std::uint8_t> plaintext,
                                                          std::span<const std::uint8_t> aad) const {
  // The framed text (version byte || plaintext) is never empty: OpenSSL 3.0 skips a
  // zero-length update, so SIV over an empty string would never compute its IV.
  std::vector<std::uint8_t> framed(plaintext.size() + 1);
  framed[0] = kFormatVersion;
  if (!plaintext.empty()) std::memcpy(framed.data() + 1, plaintext.data(), plaintext.size());
  std::vector<std::uint8_t> out(kSivSize + framed.size() + 16);
  const bool ok = run_siv(key_, true, framed, aad, out.data() + kSivSize, out.data());
  OPENSSL_cleanse(framed.data(), framed.size());
  if (!ok)
    return internal::openssl_error(sqlstate::kSystemError, "deterministic encryption failed");
  out.resize(kSivSize + framed.size());
  return out;
}

Result<std::vector<std::uint8_t>> DeterministicAead::open(std::span<const std::uint8_t> sealed,
                                                          std::span<const std::uint8_t> aad) const {
  if (sealed.size() < kDeterministicOverhead) {
    return make_error(sqlstate::kDataCorrupted, "decryption failed: ciphertext is truncated");
  }
  std::uint8_t tag[kSivSize];
  std::memcpy(tag, sealed.data(), kSivSize);
  std::vector<std::uint8_t> out(sealed.size() - kSivSize + 16);
  if (!run_siv(key_, false, sealed.subspan(kSivSize), aad, out.data(), tag) ||
      out[0] != kFormatVersion) {
    OPENSSL_cleanse(out.data(), out.size());
    internal::clear_openssl_errors();
    return make_error(sqlstate::kDataCorrupted,
                      "decryption failed: ciphertext or associated data was altered or the wrong "
                      "key was used");
  }
  out.erase(out.begin());
  out.resize(sealed.size() - kDeterministicOverhead);
  return out;
}

}  // namespace dbvault::crypto
