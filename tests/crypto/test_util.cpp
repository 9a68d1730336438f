#include "tests/crypto/test_util.h"

#include <unistd.h>

#include <cstdlib>
#include <random>
#include <stdexcept>

#include "crypto/env_provider.h"

namespace dbvault::crypto::test {

std::vector<std::uint8_t> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) throw std::invalid_argument("odd hex length");
  std::vector<std::uint8_t> out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(std::stoul(std::string(hex.substr(2 * i, 2)), nullptr, 16));
  }
  return out;
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

SecretBytes key_from_hex(std::string_view hex) { return SecretBytes::copy_of(from_hex(hex)); }

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

ScopedEnv::ScopedEnv(std::string name, std::optional<std::string> value) : name_(std::move(name)) {
  if (const char* old = std::getenv(name_.c_str())) old_ = old;
  if (value) {
    ::setenv(name_.c_str(), value->c_str(), 1);
  } else {
    ::unsetenv(name_.c_str());
  }
}

ScopedEnv::~ScopedEnv() {
  if (old_) {
    ::setenv(name_.c_str(), old_->c_str(), 1);
  } else {
    ::unsetenv(name_.c_str());
  }
}

std::shared_ptr<MasterKeyProvider> env_key(const std::string& hex, const std::string& id) {
  ScopedEnv h("DBVAULT_MASTER_KEY_HEX", hex);
  ScopedEnv i("DBVAULT_MASTER_KEY_ID", id);
  auto p = open_env_provider();
  if (!p) throw std::runtime_error("env provider refused the test key: " + p.error().message);
  return std::move(*p);
}

}  // namespace dbvault::crypto::test
