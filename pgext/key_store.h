// The cluster's master key and key store, as every process of the module opens them (the
// backends for the token MAC root, the audit worker for the audit keys), and the lock that
// serialises their creation on the first start.
// Thread-safety: values; TekStore is thread-safe (crypto/tek_store.h).
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"
#include "crypto/master_key_provider.h"
#include "crypto/tek_store.h"

namespace dbvault::pgext {

// An exclusive flock(2) on `file` (created 0600), held until destruction: while one process
// creates or opens the stores, no other does. 58000 if it cannot be taken.
class StoreLock {
 public:
  static Result<StoreLock> take(const std::filesystem::path& file);
  StoreLock(StoreLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  StoreLock& operator=(StoreLock&&) = delete;
  ~StoreLock();

 private:
  explicit StoreLock(int fd) : fd_(fd) {}
  int fd_;
};

// Creates `dir` (and parents) if missing, mode 0700. 58000 if it cannot.
Status make_private_dir(const std::filesystem::path& dir);

struct Keys {
  std::shared_ptr<crypto::MasterKeyProvider> mek;
  std::unique_ptr<crypto::TekStore> store;
};

// The master key (`provider`: "file" — keys_dir/master.key, created when missing — or "env")
// and keys_dir/keys.db. REQUIRES: the caller holds the StoreLock. 22023 for another provider
// name; 58000 when the key is missing, malformed or not the store's.
Result<Keys> open_keys(const std::filesystem::path& keys_dir, std::string_view provider,
                       const Clock& clock);

}  // namespace dbvault::pgext
