#include "storage/vfs/checksum_mask.h"

#include <openssl/err.h>

#include <array>
#include <cstring>

#include "common/sqlstate.h"

namespace dbvault::storage::vfs {
namespace {

constexpr std::size_t kBlock = 16;

Error mask_error(const char* what) {
  ERR_clear_error();  // the reason names an algorithm at most; never data
  return make_error(sqlstate::kSystemError, std::string("checksum mask: ") + what);
}

}  // namespace

Result<ChecksumMask> ChecksumMask::create(crypto::AeadAlgorithm algorithm,
                                          const crypto::SecretBytes& key) {
  if (key.size() != crypto::kAeadKeySize) {
    return make_error(sqlstate::kInvalidParameterValue, "checksum mask: the key must be 32 bytes");
  }
  const bool aes = algorithm == crypto::AeadAlgorithm::kAes256Gcm;
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return mask_error("no cipher context");
  // Fetched per file open (not per frame): a ChaCha20 context is re-initialized with each nonce
  // but keeps its key schedule; an ECB context is used as it is.
  const EVP_CIPHER* cipher = aes ? EVP_aes_256_ecb() : EVP_chacha20();
  if (cipher == nullptr ||
      EVP_EncryptInit_ex2(ctx.get(), cipher, key.data(), nullptr, nullptr) != 1) {
    return mask_error("cannot key the cipher");
  }
  if (aes) EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  return ChecksumMask(algorithm, std::move(ctx));
}

Status ChecksumMask::compute(std::span<const std::uint8_t> nonce, std::span<std::uint8_t, 8> out) {
  std::array<std::uint8_t, kBlock> in{};
  std::array<std::uint8_t, kBlock> block{};
  int len = 0;
  bool ok = nonce.size() == crypto::kAeadNonceSize;
  if (ok && algorithm_ == crypto::AeadAlgorithm::kAes256Gcm) {
    // GCM with a 96-bit nonce: J0 = N || 0^31 || 1; the plaintext's first block uses J0 + 1.
    std::memcpy(in.data(), nonce.data(), nonce.size());
    in[kBlock - 1] = 2;
    ok = EVP_EncryptUpdate(ctx_.get(), block.data(), &len, in.data(), kBlock) == 1 &&
         len == static_cast<int>(kBlock);
  } else if (ok) {
    // OpenSSL's ChaCha20 IV: block counter (4, little-endian) = 1 || the 96-bit nonce.
    std::array<std::uint8_t, kBlock> iv{1, 0, 0, 0};
    std::memcpy(iv.data() + 4, nonce.data(), nonce.size());
    ok = EVP_EncryptInit_ex2(ctx_.get(), nullptr, nullptr, iv.data(), nullptr) == 1 &&
         EVP_EncryptUpdate(ctx_.get(), block.data(), &len, in.data(), 8) == 1 && len == 8;
  }
  std::memcpy(out.data(), block.data(), out.size());
  std::memset(block.data(), 0, block.size());
  if (!ok) {
    std::memset(out.data(), 0, out.size());
    return mask_error("the cipher failed");
  }
  return ok_status();
}

}  // namespace dbvault::storage::vfs
