// Helpers shared by the crypto test suites: hex, temp directories, environment variables.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/master_key_provider.h"
#include "crypto/secret_bytes.h"
#include "tests/support/temp_dir.h"

namespace dbvault::crypto::test {

std::vector<std::uint8_t> from_hex(std::string_view hex);
std::string to_hex(std::span<const std::uint8_t> bytes);
SecretBytes key_from_hex(std::string_view hex);
std::span<const std::uint8_t> bytes_of(std::string_view text);

using dbvault::test::TempDir;  // tests/support/temp_dir.h

// Sets (or unsets, for nullopt) an environment variable for the scope; restores it after.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, std::optional<std::string> value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// An env provider with MEK `hex` and id `id` (set in the environment only while opening).
// Throws std::runtime_error if the provider refuses them.
std::shared_ptr<MasterKeyProvider> env_key(const std::string& hex, const std::string& id);

}  // namespace dbvault::crypto::test
