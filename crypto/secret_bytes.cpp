#include "crypto/secret_bytes.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>

namespace dbvault::crypto {
namespace {

std::once_flag g_heap_once;
bool g_heap_ok = false;

// Allocates `size` zeroed bytes (at least 1), preferring the secure heap.
std::uint8_t* allocate(std::size_t size, bool& secure) {
  const std::size_t n = size == 0 ? 1 : size;
  init_secure_heap();
  void* p = g_heap_ok ? OPENSSL_secure_zalloc(n) : nullptr;
  secure = p != nullptr && CRYPTO_secure_allocated(p) == 1;
  if (p == nullptr) p = OPENSSL_zalloc(n);
  if (p == nullptr) std::abort();  // out of memory: no exceptions cross the component boundary
  return static_cast<std::uint8_t*>(p);
}

}  // namespace

bool init_secure_heap(std::size_t bytes) {
  std::call_once(g_heap_once, [bytes] {
    // minsize 16: keys are 16..64 bytes; smaller blocks would waste nothing but bookkeeping.
    g_heap_ok = CRYPTO_secure_malloc_init(bytes, 16) != 0;
    if (!g_heap_ok) {
      spdlog::warn(
          "crypto: cannot lock memory for keys (RLIMIT_MEMLOCK?); key material uses the "
          "ordinary heap and may be swapped to disk");
    }
  });
  return g_heap_ok;
}

bool secure_heap_active() { return init_secure_heap(); }

SecretBytes::SecretBytes(std::size_t size) {
  // Assigned in the body: secure_ is declared after data_, so a mem-initializer writing it
  // through allocate() would be overwritten by secure_'s default initializer.
  bool secure = false;
  data_ = allocate(size, secure);
  secure_ = secure;
  size_ = size;
  capacity_ = size == 0 ? 1 : size;
}

SecretBytes SecretBytes::copy_of(std::span<const std::uint8_t> bytes) {
  SecretBytes out(bytes.size());
  if (!bytes.empty()) std::memcpy(out.data_, bytes.data(), bytes.size());
  return out;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)),
      secure_(std::exchange(other.secure_, false)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    secure_ = std::exchange(other.secure_, false);
  }
  return *this;
}

SecretBytes::~SecretBytes() { release(); }

SecretBytes SecretBytes::clone() const { return copy_of(view()); }

void SecretBytes::wipe() {
  if (data_ != nullptr) OPENSSL_cleanse(data_, capacity_);
  size_ = 0;
}

void SecretBytes::truncate(std::size_t size) {
  if (size >= size_) return;
  OPENSSL_cleanse(data_ + size, size_ - size);
  size_ = size;
}

bool SecretBytes::equals(const SecretBytes& other) const {
  if (size_ != other.size_) return false;
  return size_ == 0 || CRYPTO_memcmp(data_, other.data_, size_) == 0;
}

void SecretBytes::release() {
  if (data_ == nullptr) return;
  if (secure_) {
    OPENSSL_secure_clear_free(data_, capacity_);
  } else {
    OPENSSL_clear_free(data_, capacity_);
  }
  data_ = nullptr;
  size_ = capacity_ = 0;
  secure_ = false;
}

}  // namespace dbvault::crypto
