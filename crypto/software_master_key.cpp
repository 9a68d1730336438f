#include "crypto/software_master_key.h"

#include <openssl/crypto.h>

#include "crypto/key_wrap.h"

namespace dbvault::crypto {
namespace {

class SoftwareMasterKey final : public MasterKeyProvider {
 public:
  SoftwareMasterKey(std::string kind, std::string id, SecretBytes mek)
      : kind_(std::move(kind)), id_(std::move(id)), mek_(std::move(mek)) {}

  std::string_view kind() const override { return kind_; }
  const std::string& key_id() const override { return id_; }

  Result<std::vector<std::uint8_t>> wrap(const SecretBytes& key) override {
    auto wrapped = wrap_key(mek_, key);
    if (!wrapped) return provider_error("cannot wrap a key", wrapped.error());
    return wrapped;
  }

  Result<SecretBytes> unwrap(std::span<const std::uint8_t> wrapped) override {
    auto key = unwrap_key(mek_, wrapped);
    if (!key) return provider_error("cannot unwrap a key", key.error());
    return key;
  }

  Status check() override { return ok_status(); }  // memory does not go away

 private:
  Error provider_error(std::string_view what, const Error& cause) const {
    return make_error(sqlstate::kSystemError, std::string(what) + " with master key \"" + id_ +
                                                  "\" (" + kind_ + " provider): " + cause.message);
  }

  std::string kind_;
  std::string id_;
  SecretBytes mek_;
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

// "dbvault key check value v1" padded with zeros to 32 bytes: a public constant.
constexpr char kCheckConstant[32] = "dbvault key check value v1";

Result<std::vector<std::uint8_t>> key_check_value(MasterKeyProvider& provider) {
  SecretBytes check = SecretBytes::copy_of(
      std::span(reinterpret_cast<const std::uint8_t*>(kCheckConstant), sizeof kCheckConstant));
  return provider.wrap(check);
}

bool matches_key_check_value(MasterKeyProvider& provider, std::span<const std::uint8_t> stored,
                             std::span<const std::uint8_t> fresh) {
  if (stored.size() == fresh.size() &&
      CRYPTO_memcmp(stored.data(), fresh.data(), stored.size()) == 0)
    return true;
  auto unwrapped = provider.unwrap(stored);
  if (!unwrapped || unwrapped->size() != sizeof kCheckConstant) return false;
  return CRYPTO_memcmp(unwrapped->data(), kCheckConstant, sizeof kCheckConstant) == 0;
}

Status validate_key_id(std::string_view id) {
  bool ok = !id.empty() && id.size() <= 64;
  for (char c : id) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-');
  }
  if (ok) return ok_status();
  return make_error(sqlstate::kInvalidParameterValue,
                    "master key id must be 1..64 characters of A-Z a-z 0-9 . _ -");
}

namespace internal {

Result<SecretBytes> decode_hex_key(std::string_view hex, std::size_t bytes,
                                   std::string_view source) {
  const std::string where(source);
  if (hex.size() != 2 * bytes) {
    return make_error(sqlstate::kSystemError,
                      where + " must be exactly " + std::to_string(2 * bytes) +
                          " hexadecimal characters (got " + std::to_string(hex.size()) + ")");
  }
  SecretBytes key(bytes);
  unsigned char any = 0;
  for (std::size_t i = 0; i < bytes; ++i) {
    const int hi = hex_value(hex[2 * i]);
    const int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return make_error(sqlstate::kSystemError,
                        where + " contains a character that is not hexadecimal at position " +
                            std::to_string(2 * i + (hi < 0 ? 1 : 2)));
    }
    key.data()[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    any |= key.data()[i];
  }
  if (any == 0) {
    return make_error(sqlstate::kSystemError, where + " is all zeros: a placeholder, not a key");
  }
  return key;
}

std::unique_ptr<MasterKeyProvider> make_software_provider(std::string kind, std::string id,
                                                          SecretBytes mek) {
  return std::make_unique<SoftwareMasterKey>(std::move(kind), std::move(id), std::move(mek));
}

}  // namespace internal
}  // namespace dbvault::crypto
