#include "crypto/aead.h"

#include <openssl/crypto.h>
#include <pthread.h>

#include <cstring>
#include <limits>
#include <mutex>

#include "crypto/random.h"

namespace dbvault::crypto {
namespace {

using internal::CipherCtxPtr;
using internal::openssl_error;

const char* evp_name(AeadAlgorithm algorithm) {
  return algorithm == AeadAlgorithm::kAes256Gcm ? "AES-256-GCM" : "ChaCha20-Poly1305";
}

bool fits_int(std::size_t n) {
  return n <= static_cast<std::size_t>(std::numeric_limits<int>::max());
}

Error invalid(std::string message) {
  return make_error(sqlstate::kInvalidParameterValue, std::move(message));
}

Result<CipherCtxPtr> keyed_context(AeadAlgorithm algorithm, const SecretBytes& key, bool encrypt) {
  const EVP_CIPHER* cipher = internal::cached_cipher(evp_name(algorithm));
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (cipher == nullptr || !ctx ||
      EVP_CipherInit_ex2(ctx.get(), cipher, key.data(), nullptr, encrypt ? 1 : 0, nullptr) != 1) {
    return openssl_error(sqlstate::kSystemError, "cannot initialize AEAD cipher");
  }
  return ctx;
}

// Feeds the AAD and the text through `ctx`, which already has key and nonce.
bool process(EVP_CIPHER_CTX* ctx, std::span<const std::uint8_t> aad,
             std::span<const std::uint8_t> in, std::uint8_t* out) {
  int len = 0;
  if (!fits_int(aad.size()) || !fits_int(in.size())) return false;
  if (!aad.empty() &&
      EVP_CipherUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
    return false;
  }
  if (!in.empty() &&
      EVP_CipherUpdate(ctx, out, &len, in.data(), static_cast<int>(in.size())) != 1) {
    return false;
  }
  return true;
}

// Bumped in every child after fork(), so that Aead objects copied into a child discard the
// nonces they drew before the fork (the parent may use the same ones).
std::atomic<std::uint64_t> g_fork_generation{1};

std::uint64_t fork_generation() {
  static std::once_flag once;
  std::call_once(
      once, [] { ::pthread_atfork(nullptr, nullptr, [] { g_fork_generation.fetch_add(1); }); });
  return g_fork_generation.load(std::memory_order_relaxed);
}

}  // namespace

std::string_view algorithm_name(AeadAlgorithm algorithm) {
  return algorithm == AeadAlgorithm::kAes256Gcm ? "AES-256-GCM" : "CHACHA20-POLY1305";
}

Result<AeadAlgorithm> parse_aead_algorithm(std::string_view name) {
  if (name == "AES-256-GCM") return AeadAlgorithm::kAes256Gcm;
  if (name == "CHACHA20-POLY1305") return AeadAlgorithm::kChaCha20Poly1305;
  return invalid("unknown AEAD algorithm \"" + std::string(name) +
                 "\" (expected AES-256-GCM or CHACHA20-POLY1305)");
}

InvocationBudget::InvocationBudget(std::uint64_t limit, std::uint64_t already_used,
                                   Reserver reserve, std::uint64_t block)
    : used_(already_used),
      limit_(limit),
      reserve_(std::move(reserve)),
      block_(block == 0 ? 1 : block),
      reserved_(already_used) {}

bool InvocationBudget::try_consume() {
  std::uint64_t used = used_.load(std::memory_order_relaxed);
  do {
    if (used >= limit_) return false;
  } while (!used_.compare_exchange_weak(used, used + 1, std::memory_order_relaxed));
  // This call took invocation number used + 1.
  return !reserve_ || used + 1 <= reserved_.load(std::memory_order_acquire) ||
         reserve_through(used + 1);
}

bool InvocationBudget::reserve_through(std::uint64_t invocation) {
  std::lock_guard lock(reserve_mu_);
  const std::uint64_t reserved = reserved_.load(std::memory_order_relaxed);
  if (invocation <= reserved) return true;  // another thread reserved it meanwhile
  const std::uint64_t up_to = std::min(limit_, std::max(invocation, reserved + block_));
  if (!reserve_(up_to).ok()) return false;
  reserved_.store(up_to, std::memory_order_release);
  return true;
}

Aead::Aead(AeadAlgorithm algorithm, CipherCtxPtr enc, CipherCtxPtr dec,
           std::shared_ptr<InvocationBudget> budget)
    : algorithm_(algorithm),
      enc_(std::move(enc)),
      dec_(std::move(dec)),
      budget_(std::move(budget)) {}

Result<Aead> Aead::create(AeadAlgorithm algorithm, const SecretBytes& key,
                          std::shared_ptr<InvocationBudget> budget) {
  if (key.size() != kAeadKeySize) {
    return invalid("AEAD key must be 32 bytes (got " + std::to_string(key.size()) + ")");
  }
  if (algorithm != AeadAlgorithm::kAes256Gcm && algorithm != AeadAlgorithm::kChaCha20Poly1305) {
    return invalid("unknown AEAD algorithm");
  }
  auto enc = keyed_context(algorithm, key, true);
  if (!enc) return std::move(enc).error();
  auto dec = keyed_context(algorithm, key, false);
  if (!dec) return std::move(dec).error();
  if (!budget) budget = std::make_shared<InvocationBudget>();
  return Aead(algorithm, std::move(*enc), std::move(*dec), std::move(budget));
}

Status Aead::seal_detached(std::span<const std::uint8_t> nonce,
                           std::span<const std::uint8_t> plaintext,
                           std::span<const std::uint8_t> aad, std::span<std::uint8_t> ciphertext,
                           std::span<std::uint8_t> tag) {
  if (nonce.size() != kAeadNonceSize || tag.size() != kAeadTagSize ||
      ciphertext.size() != plaintext.size()) {
    return invalid("AEAD seal: wrong nonce, tag or output size");
  }
  if (!budget_->try_consume()) {
    return make_error(sqlstate::kObjectNotInPrerequisiteState,
                      "encryption key reached its invocation limit; rotate the key");
  }
  EVP_CIPHER_CTX* ctx = enc_.get();
  int len = 0;
  if (EVP_EncryptInit_ex2(ctx, nullptr, nullptr, nonce.data(), nullptr) != 1 ||
      !process(ctx, aad, plaintext, ciphertext.data()) ||
      EVP_EncryptFinal_ex(ctx, ciphertext.data() + ciphertext.size(), &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kAeadTagSize, tag.data()) != 1) {
    OPENSSL_cleanse(ciphertext.data(), ciphertext.size());
    return openssl_error(sqlstate::kSystemError, "AEAD encryption failed");
  }
  return ok_status();
}

Status Aead::open_detached(std::span<const std::uint8_t> nonce,
                           std::span<const std::uint8_t> ciphertext,
                           std::span<const std::uint8_t> aad, std::span<const std::uint8_t> tag,
                           std::span<std::uint8_t> plaintext) {
  if (nonce.size() != kAeadNonceSize || tag.size() != kAeadTagSize ||
      ciphertext.size() != plaintext.size()) {
    return invalid("AEAD open: wrong nonce, tag or output size");
  }
  EVP_CIPHER_CTX* ctx = dec_.get();
  int len = 0;
  // OpenSSL's ctrl takes a non-const tag pointer but only reads it.
  auto* tag_ptr =
      const_cast<std::uint8_t*>(tag.data());  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  if (EVP_DecryptInit_ex2(ctx, nullptr, nullptr, nonce.data(), nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kAeadTagSize, tag_ptr) != 1 ||
      !process(ctx, aad, ciphertext, plaintext.data()) ||
      EVP_DecryptFinal_ex(ctx, plaintext.data() + plaintext.size(), &len) != 1) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    internal::clear_openssl_errors();
    return make_error(sqlstate::kDataCorrupted,
                      "decryption failed: ciphertext, nonce, tag or associated data was altered "
                      "or the wrong key was used");
  }
  return ok_status();
}

Status Aead::next_nonce(std::span<std::uint8_t> nonce) {
  const std::uint64_t generation = fork_generation();
  if (nonces_left_ == 0 || generation != nonce_fork_generation_) {
    DBV_RETURN_IF_ERROR(random_bytes(nonces_));
    nonces_left_ = kNonceBatch;
    nonce_fork_generation_ = generation;
  }
  --nonces_left_;
  std::uint8_t* next = nonces_.data() + nonces_left_ * kAeadNonceSize;
  std::memcpy(nonce.data(), next, kAeadNonceSize);
  std::memset(next, 0, kAeadNonceSize);  // a used nonce is not kept around
  return ok_status();
}

Status Aead::seal_into(std::span<const std::uint8_t> plaintext, std::span<const std::uint8_t> aad,
                       std::span<std::uint8_t> out) {
  if (out.size() != plaintext.size() + kAeadOverhead)
    return invalid("AEAD seal: wrong output size");
  const auto nonce = out.first(kAeadNonceSize);
  Status s = next_nonce(nonce);
  if (s.ok()) {
    s = seal_detached(nonce, plaintext, aad, out.subspan(kAeadNonceSize, plaintext.size()),
                      out.last(kAeadTagSize));
  }
  if (!s.ok()) OPENSSL_cleanse(out.data(), out.size());
  return s;
}

Status Aead::open_into(std::span<const std::uint8_t> sealed, std::span<const std::uint8_t> aad,
                       std::span<std::uint8_t> out) {
  if (sealed.size() < kAeadOverhead) {
    return make_error(sqlstate::kDataCorrupted, "decryption failed: ciphertext is truncated");
  }
  if (out.size() != sealed.size() - kAeadOverhead) return invalid("AEAD open: wrong output size");
  return open_detached(sealed.first(kAeadNonceSize), sealed.subspan(kAeadNonceSize, out.size()),
                       aad, sealed.last(kAeadTagSize), out);
}

Result<std::vector<std::uint8_t>> Aead::seal(std::span<const std::uint8_t> plaintext,
                                             std::span<const std::uint8_t> aad) {
  std::vector<std::uint8_t> out(plaintext.size() + kAeadOverhead);
  DBV_RETURN_IF_ERROR(seal_into(plaintext, aad, out));
  return out;
}

Result<std::vector<std::uint8_t>> Aead::open(std::span<const std::uint8_t> sealed,
                                             std::span<const std::uint8_t> aad) {
  if (sealed.size() < kAeadOverhead) {
    return make_error(sqlstate::kDataCorrupted, "decryption failed: ciphertext is truncated");
  }
  std::vector<std::uint8_t> out(sealed.size() - kAeadOverhead);
  DBV_RETURN_IF_ERROR(open_into(sealed, aad, out));
  return out;
}

}  // namespace dbvault::crypto
