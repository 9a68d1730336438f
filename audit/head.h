// Internal to audit/: the HEAD file — the last durable seq and its hash, MAC'ed, in two
// alternating slots (docs/audit.md §4, format version 2). Thread-compatible.
//
// A slot with counter c lives at offset (c % 2) * 512, so the two slots of an intact HEAD always
// hold consecutive counters at their own positions. read_head() reports both slots as they are;
// judging them against the segments is tail.h's job.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>

#include "audit/event.h"
#include "audit/segment.h"
#include "crypto/secret_bytes.h"

namespace dbvault::audit::internal {

struct HeadState {
  std::uint64_t counter = 0;
  std::uint64_t last_seq = 0;
  ChainHash last_hash{};
};

struct HeadSlots {
  // By position; nullopt when the slot does not authenticate (zeros, torn, altered).
  std::array<std::optional<HeadState>, 2> slot;
  // The valid slot with the larger counter, and the other valid one (nullopt if absent).
  std::optional<HeadState> newer() const;
  std::optional<HeadState> older() const;
};

// Reads HEAD. nullopt if the file does not exist; 0A000 for a format-1 HEAD; 58000 if unreadable.
Result<std::optional<HeadSlots>> read_head(const std::filesystem::path& path,
                                           const crypto::SecretBytes& mac_key);

class HeadFile {
 public:
  // Creates HEAD (0600, O_EXCL) with both slots naming (last_seq, last_hash), fsynced with its
  // directory. REQUIRES: the data it names is durable. 58000 if it exists or cannot be written.
  static Result<HeadFile> create(const std::filesystem::path& path,
                                 const crypto::SecretBytes& mac_key, std::uint64_t last_seq,
                                 const ChainHash& last_hash);
  // Opens an existing HEAD for writing. `current` is the state to continue from (the counter
  // and the slot written next follow from it).
  static Result<HeadFile> open(const std::filesystem::path& path,
                               const crypto::SecretBytes& mac_key, const HeadState& current);

  // Writes the next slot, without syncing. REQUIRES: the data it names is durable, so HEAD
  // never runs ahead of the segments. The writer calls sync() before acknowledging the batch,
  // so HEAD never lags an acknowledgement either (docs/audit.md §4).
  Status write(std::uint64_t last_seq, const ChainHash& last_hash);
  // Writes both slots (two write() calls) and syncs: after recovery, HEAD is whole again.
  Status rewrite(std::uint64_t last_seq, const ChainHash& last_hash);
  Status sync();
  const HeadState& state() const { return state_; }

 private:
  HeadFile(Fd fd, std::filesystem::path path, const crypto::SecretBytes& mac_key, HeadState state)
      : fd_(std::move(fd)), path_(std::move(path)), mac_key_(mac_key.clone()), state_(state) {}
  Fd fd_;
  std::filesystem::path path_;
  crypto::SecretBytes mac_key_;
  HeadState state_;
};

}  // namespace dbvault::audit::internal
