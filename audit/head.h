// Internal to audit/: the HEAD file — the last durable seq and its hash, MAC'ed, in two
// alternating slots (docs/audit.md §4). Thread-compatible.
#pragma once

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

// Reads HEAD: the valid slot with the larger counter. nullopt if the file does not exist;
// XX001 if it exists but no slot authenticates.
Result<std::optional<HeadState>> read_head(const std::filesystem::path& path,
                                           const crypto::SecretBytes& mac_key);

class HeadFile {
 public:
  // Opens (creating, 0600, fsynced with its directory) HEAD for writing. `current` is the
  // state to continue from (counter and the slot to write next follow from it).
  static Result<HeadFile> open(const std::filesystem::path& path, const crypto::SecretBytes& mac_key,
                               const HeadState& current);
  // Writes the next slot, without syncing. REQUIRES: the data it names is durable, so HEAD
  // never runs ahead of the segments. The writer calls sync() before acknowledging the batch,
  // so HEAD never lags an acknowledgement either (docs/audit.md §4).
  Status write(std::uint64_t last_seq, const ChainHash& last_hash);
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
