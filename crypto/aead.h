// Authenticated encryption with associated data: AES-256-GCM (default) and
// ChaCha20-Poly1305 (RFC 8439), both through OpenSSL's EVP interface.
//
// Nonces: seal() draws a random 96-bit nonce per message and prepends it, so callers cannot
// reuse one by mistake (a child process after fork() never reuses its parent's nonces). Random
// 96-bit nonces are safe for at most 2^32 messages per key (NIST SP 800-38D §8.3); an
// InvocationBudget shared by every Aead made from the same key refuses to seal past its limit
// (default 2^31, half the bound) and reports rotation_due() at a quarter of the bound, so that the
// TEK is rotated well before the limit.
//
// Sealed layout (both algorithms): nonce (12 bytes) || ciphertext (= plaintext length) || tag
// (16 bytes). The AAD is not stored: the caller supplies the same AAD to open().
//
// Thread-safety: an Aead keeps a keyed EVP context and is NOT safe for concurrent use; make one
// per thread (they may share one InvocationBudget, which is thread-safe).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "crypto/openssl_util.h"
#include "crypto/secret_bytes.h"

namespace dbvault::crypto {

enum class AeadAlgorithm : std::uint8_t { kAes256Gcm = 1, kChaCha20Poly1305 = 2 };

// "AES-256-GCM" / "CHACHA20-POLY1305": the names stored in wrapped-key records.
std::string_view algorithm_name(AeadAlgorithm algorithm);
// Inverse of algorithm_name (case-sensitive). Unknown names are 22023.
Result<AeadAlgorithm> parse_aead_algorithm(std::string_view name);

inline constexpr std::size_t kAeadKeySize = 32;
inline constexpr std::size_t kAeadNonceSize = 12;
inline constexpr std::size_t kAeadTagSize = 16;
inline constexpr std::size_t kAeadOverhead = kAeadNonceSize + kAeadTagSize;

// Counts encryptions under one key. Thread-safe.
//
// A persisted budget (the KeyGate's, backed by keys.db) survives restarts without a write per
// encryption: it starts from what earlier runs reserved and reserves invocations in blocks,
// durably, before using them, so a restart loses at most one unused block and never counts
// an invocation twice as fresh.
class InvocationBudget {
 public:
  static constexpr std::uint64_t kDefaultLimit = std::uint64_t{1} << 31;
  static constexpr std::uint64_t kReserveBlock = std::uint64_t{1} << 16;
  // Makes invocations up to `up_to` durably reserved; an error refuses them.
  using Reserver = std::function<Status(std::uint64_t up_to)>;

  // In memory only (an Aead without a gate, tests).
  explicit InvocationBudget(std::uint64_t limit = kDefaultLimit) : limit_(limit) {}
  // Persisted: `already_used` invocations count as taken (what earlier runs reserved).
  InvocationBudget(std::uint64_t limit, std::uint64_t already_used, Reserver reserve,
                   std::uint64_t block = kReserveBlock);

  // Takes one invocation; false once `limit` invocations were taken, or when the reservation
  // it needed could not be made durable (fail closed).
  bool try_consume();
  std::uint64_t used() const { return used_.load(std::memory_order_relaxed); }
  std::uint64_t limit() const { return limit_; }
  // True from half the limit on: time to schedule a TEK rotation.
  bool rotation_due() const { return used() >= limit_ / 2; }

 private:
  bool reserve_through(std::uint64_t invocation);

  std::atomic<std::uint64_t> used_{0};
  std::uint64_t limit_;
  Reserver reserve_;
  std::uint64_t block_ = 0;
  std::mutex reserve_mu_;                   // one reservation at a time
  std::atomic<std::uint64_t> reserved_{0};  // invocations covered by durable reservations
};

class Aead {
 public:
  // REQUIRES: key.size() == kAeadKeySize (otherwise 22023). `budget` may be shared by several
  // Aead objects for the same key; nullptr gives this object a private default budget.
  static Result<Aead> create(AeadAlgorithm algorithm, const SecretBytes& key,
                             std::shared_ptr<InvocationBudget> budget = nullptr);

  Aead(Aead&&) noexcept = default;
  Aead& operator=(Aead&&) noexcept = default;

  AeadAlgorithm algorithm() const { return algorithm_; }
  const InvocationBudget& budget() const { return *budget_; }

  // Encrypts with a fresh random nonce. Returns nonce || ciphertext || tag.
  // Errors: 55000 when the key's invocation budget is spent (rotate the key); 58000 when the
  // RNG or OpenSSL fails.
  Result<std::vector<std::uint8_t>> seal(std::span<const std::uint8_t> plaintext,
                                         std::span<const std::uint8_t> aad);
  // As seal(), into `out`. REQUIRES: out.size() == plaintext.size() + kAeadOverhead (else
  // 22023). Allocation-free: the page-encryption path uses it. On error `out` is zeroed.
  Status seal_into(std::span<const std::uint8_t> plaintext, std::span<const std::uint8_t> aad,
                   std::span<std::uint8_t> out);

  // Decrypts and authenticates the output of seal(). Any change to nonce, ciphertext, tag or
  // AAD, or a truncated input → XX001, and no plaintext is returned.
  Result<std::vector<std::uint8_t>> open(std::span<const std::uint8_t> sealed,
                                         std::span<const std::uint8_t> aad);
  // As open(), into `out`. REQUIRES: out.size() == sealed.size() - kAeadOverhead.
  // On error `out` is zeroed (never partially decrypted plaintext).
  Status open_into(std::span<const std::uint8_t> sealed, std::span<const std::uint8_t> aad,
                   std::span<std::uint8_t> out);

  // Explicit-nonce forms, for known-answer tests and formats that store the nonce apart.
  // REQUIRES: nonce.size() == kAeadNonceSize, tag.size() == kAeadTagSize,
  // ciphertext.size() == plaintext.size(). The caller guarantees the nonce is never reused
  // with this key: reuse destroys confidentiality and authenticity.
  Status seal_detached(std::span<const std::uint8_t> nonce, std::span<const std::uint8_t> plaintext,
                       std::span<const std::uint8_t> aad, std::span<std::uint8_t> ciphertext,
                       std::span<std::uint8_t> tag);
  Status open_detached(std::span<const std::uint8_t> nonce,
                       std::span<const std::uint8_t> ciphertext, std::span<const std::uint8_t> aad,
                       std::span<const std::uint8_t> tag, std::span<std::uint8_t> plaintext);

 private:
  Aead(AeadAlgorithm algorithm, internal::CipherCtxPtr enc, internal::CipherCtxPtr dec,
       std::shared_ptr<InvocationBudget> budget);

  // Writes the next random nonce. Nonces are drawn from the CSPRNG in batches because one
  // RAND_bytes call costs as much as encrypting 2 KiB; the batch is discarded after fork().
  Status next_nonce(std::span<std::uint8_t> nonce);

  static constexpr std::size_t kNonceBatch = 64;
  AeadAlgorithm algorithm_;
  internal::CipherCtxPtr enc_;  // keyed once; each message only sets the nonce
  internal::CipherCtxPtr dec_;
  std::shared_ptr<InvocationBudget> budget_;
  std::array<std::uint8_t, kNonceBatch * kAeadNonceSize> nonces_{};
  std::size_t nonces_left_ = 0;
  std::uint64_t nonce_fork_generation_ = 0;
};

}  // namespace dbvault::crypto
