// Dense integer ids and id bitsets, the currency between rules/ and the vault.
//
// The vault assigns every object (table or column), realm, role, user and command rule a dense
// id (0, 1, 2, ...) when it builds a policy snapshot; rules/ never invents ids, it only stores
// the ones a NameResolver hands it and compares them with the ones in Factors/ObjectAccess.
//
// BitsetView is the allocation-free way for the vault to pass a set of ids (a session's
// effective roles, its unlocked realms, the realms an object is in): a view of 64-bit words the
// caller owns. IdBitset is an owning bitset for callers that want one (tests, the vault's
// session state); it allocates only when it grows. Thread-safety: values; a BitsetView is as
// safe as the words it points at.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace dbvault::rules {

using ObjectId = std::uint32_t;  // a table or a column
using RealmId = std::uint32_t;
using RoleId = std::uint32_t;
using UserId = std::uint32_t;
using RuleId = std::uint32_t;

// "No such id": the table of a table, the object of a CONNECT check, an unknown user.
inline constexpr std::uint32_t kNoId = std::numeric_limits<std::uint32_t>::max();

// A read-only set of ids: bit (id % 64) of words[id / 64]. Ids beyond the words are absent.
class BitsetView {
 public:
  constexpr BitsetView() = default;
  constexpr explicit BitsetView(std::span<const std::uint64_t> words) : words_(words) {}

  bool test(std::uint32_t id) const {
    const std::size_t w = id / 64;
    return w < words_.size() && ((words_[w] >> (id % 64)) & 1U) != 0;
  }
  std::span<const std::uint64_t> words() const { return words_; }

  // Calls f(id) for every id in the set, in ascending order.
  template <typename F>
  void for_each(F&& f) const {
    for (std::size_t w = 0; w < words_.size(); ++w) {
      for (std::uint64_t bits = words_[w]; bits != 0; bits &= bits - 1) {
        f(static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits))));
      }
    }
  }

 private:
  std::span<const std::uint64_t> words_;
};

// An owning, growable id set.
class IdBitset {
 public:
  IdBitset() = default;
  // Pre-sizes for ids < capacity, so that set() below that never allocates.
  explicit IdBitset(std::size_t capacity) : words_((capacity + 63) / 64, 0) {}

  void set(std::uint32_t id) {
    const std::size_t w = id / 64;
    if (w >= words_.size()) words_.resize(w + 1, 0);
    words_[w] |= std::uint64_t{1} << (id % 64);
  }
  void reset(std::uint32_t id) {
    const std::size_t w = id / 64;
    if (w < words_.size()) words_[w] &= ~(std::uint64_t{1} << (id % 64));
  }
  void clear() { std::fill(words_.begin(), words_.end(), 0); }
  bool test(std::uint32_t id) const { return view().test(id); }
  BitsetView view() const { return BitsetView(words_); }

 private:
  std::vector<std::uint64_t> words_;
};

}  // namespace dbvault::rules
