// SecretBytes: the only container for key material (MEKs, TEKs, derived keys, KEKs).
//
// Why not std::vector/std::string: those copy silently, leave freed copies in the heap and can
// be swapped to disk or written into a core dump. SecretBytes lives in OpenSSL's secure heap
// (mlock'ed, excluded from core dumps, guard pages) when the process is allowed to lock memory,
// falls back to the ordinary heap otherwise (see secure_heap_active()), is move-only, and is
// zeroized with OPENSSL_cleanse before its memory is released. It has no operator<< and no
// conversion to a string type, so it cannot end up in a log line by accident.
//
// Thread-safety: a value type. Distinct objects may be used from distinct threads; one object
// is not synchronized.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace dbvault::crypto {

class SecretBytes {
 public:
  SecretBytes() = default;
  // `size` zero bytes. Aborts the process if memory is exhausted.
  explicit SecretBytes(std::size_t size);
  // An explicit copy of `bytes`, e.g. key bytes handed over by a library or a test vector.
  static SecretBytes copy_of(std::span<const std::uint8_t> bytes);

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes();

  // Copies must be asked for by name so that every copy of a key is visible in review.
  SecretBytes clone() const;

  std::uint8_t* data() { return data_; }
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const std::uint8_t> view() const { return {data_, size_}; }
  std::span<std::uint8_t> mutable_view() { return {data_, size_}; }

  // Zeroizes the bytes now and makes size() 0. The (zeroed) buffer stays allocated until the
  // object is destroyed, so a pointer obtained earlier still points at owned, zeroed memory.
  void wipe();

  // Shortens the logical size (e.g. after an OpenSSL call wrote fewer bytes than reserved);
  // the bytes past `size` are zeroized. REQUIRES: size <= this->size().
  void truncate(std::size_t size);

  // True when the bytes live in locked (non-swappable) memory.
  bool locked() const { return secure_; }

  // Constant-time comparison (time depends only on the sizes).
  bool equals(const SecretBytes& other) const;

 private:
  void release();

  std::uint8_t* data_ = nullptr;  // owned; released by release()
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
  bool secure_ = false;
};

// Initializes OpenSSL's secure heap (`bytes` of locked memory) on first use; later calls do
// nothing. SecretBytes calls it with the default on its first allocation; a server may call it
// earlier with a larger size. Returns whether locked memory is available: false when the
// process may not lock memory (RLIMIT_MEMLOCK), in which case keys use the ordinary heap and a
// warning is logged once.
bool init_secure_heap(std::size_t bytes = std::size_t{1} << 20);
bool secure_heap_active();

}  // namespace dbvault::crypto
