#include "storage/vfs/page_key.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <variant>

#include "crypto/kdf.h"
#include "crypto/mac.h"
#include "crypto/random.h"

namespace dbvault::storage::vfs {
namespace {
constexpr std::string_view kMaskPurpose = "dbvault tde wal-checksum-mask v1";
constexpr std::string_view kStatePurpose = "dbvault tde wal-state v1";

// The subkeys a file needs besides the page key.
struct Subkeys {
  std::optional<crypto::Aead> masks;
  crypto::SecretBytes state;
};

Result<Subkeys> derive_subkeys(crypto::AeadAlgorithm algorithm, const crypto::SecretBytes& tek) {
  auto mask_key = crypto::derive_subkey(tek, kMaskPurpose);
  if (!mask_key) return std::move(mask_key).error();
  auto masks = crypto::Aead::create(algorithm, *mask_key);
  if (!masks) return std::move(masks).error();
  auto state = crypto::derive_subkey(tek, kStatePurpose);
  if (!state) return std::move(state).error();
  return Subkeys{std::move(*masks), std::move(*state)};
}
}  // namespace

struct PageKey::Material {
  std::variant<crypto::SecretBytes, crypto::TekHandle> key;
  std::shared_ptr<crypto::InvocationBudget> budget;  // for SecretBytes keys
};

PageKey::PageKey(crypto::AeadAlgorithm algorithm, std::uint32_t version,
                 std::shared_ptr<Material> m)
    : algorithm_(algorithm), version_(version), material_(std::move(m)) {}

Result<std::shared_ptr<const PageKey>> PageKey::from_secret(crypto::AeadAlgorithm algorithm,
                                                            std::uint32_t key_version,
                                                            const crypto::SecretBytes& key) {
  if (key.size() != crypto::kAeadKeySize) {
    return make_error(sqlstate::kInvalidParameterValue, "encryption key must be 32 bytes");
  }
  auto m = std::make_shared<Material>(
      Material{key.clone(), std::make_shared<crypto::InvocationBudget>()});
  return std::make_shared<const PageKey>(algorithm, key_version, std::move(m));
}

Result<std::shared_ptr<const PageKey>> PageKey::from_handle(crypto::TekHandle handle) {
  if (handle.expired()) {
    return make_error(sqlstate::kSystemError, "the tablespace key expired or was locked");
  }
  const auto algorithm = handle.info().algorithm;
  const auto version = handle.info().version;
  auto m = std::make_shared<Material>(Material{std::move(handle), nullptr});
  return std::make_shared<const PageKey>(algorithm, version, std::move(m));
}

bool PageKey::expired() const {
  const auto* handle = std::get_if<crypto::TekHandle>(&material_->key);
  return handle != nullptr && handle->expired();
}

Result<PageCipher> PageKey::cipher() const {
  std::optional<Result<crypto::Aead>> pages;
  std::optional<Result<Subkeys>> subkeys;
  auto make = [&](const crypto::SecretBytes& tek, std::shared_ptr<crypto::InvocationBudget> b) {
    pages.emplace(crypto::Aead::create(algorithm_, tek, std::move(b)));
    subkeys.emplace(derive_subkeys(algorithm_, tek));
  };
  if (auto* bytes = std::get_if<crypto::SecretBytes>(&material_->key)) {
    make(*bytes, material_->budget);
  } else {
    // The gate's handle: its Aead counts against the key's persisted budget.
    const auto& handle = std::get<crypto::TekHandle>(material_->key);
    auto aead = handle.aead();
    if (!aead) return std::move(aead).error();
    DBV_RETURN_IF_ERROR(handle.with_key(
        [&](const crypto::SecretBytes& tek) { subkeys.emplace(derive_subkeys(algorithm_, tek)); }));
    pages.emplace(std::move(*aead));
  }
  if (!pages || !*pages)
    return pages ? std::move(*pages).error() : make_error(sqlstate::kSystemError, "no page key");
  if (!subkeys || !*subkeys) {
    return subkeys ? std::move(*subkeys).error() : make_error(sqlstate::kSystemError, "no subkeys");
  }
  Subkeys& sub = **subkeys;
  return PageCipher(std::move(**pages), std::move(*sub.masks), std::move(sub.state), version_);
}

PageCipher::PageCipher(crypto::Aead pages, crypto::Aead masks, crypto::SecretBytes state_key,
                       std::uint32_t key_version)
    : pages_(std::move(pages)),
      masks_(std::move(masks)),
      state_key_(std::move(state_key)),
      key_version_(key_version) {}

Result<crypto::MacTag> PageCipher::state_tag(std::span<const std::uint8_t> data) const {
  return crypto::hmac_sha256(state_key_, data);
}

bool PageCipher::verify_state(std::span<const std::uint8_t> data,
                              std::span<const std::uint8_t> tag) const {
  return crypto::verify_hmac_sha256(state_key_, data, tag);
}

Status PageCipher::next_nonce(std::span<std::uint8_t> out) {
  const pid_t pid = ::getpid();
  if (nonces_left_ == 0 || pid != nonce_pid_) {
    DBV_RETURN_IF_ERROR(crypto::random_bytes(nonces_));
    nonces_left_ = kBatch;
    nonce_pid_ = pid;
  }
  --nonces_left_;
  std::uint8_t* n = nonces_.data() + nonces_left_ * crypto::kAeadNonceSize;
  std::copy_n(n, crypto::kAeadNonceSize, out.begin());
  std::memset(n, 0, crypto::kAeadNonceSize);  // used once
  return ok_status();
}

std::span<const std::uint8_t> PageCipher::nonce_of(std::span<const std::uint8_t> page) {
  return page.subspan(page.size() - kReservedBytes + kKeyVersionSize, crypto::kAeadNonceSize);
}

Status PageCipher::seal(std::span<const std::uint8_t> plain, std::span<std::uint8_t> out,
                        const FileId& file_id, const PagePlace& place, std::size_t raw) {
  const std::size_t usable = plain.size() - kReservedBytes;
  std::uint8_t* trailer = out.data() + usable;
  store_be32(trailer, key_version_);
  auto nonce = std::span<std::uint8_t>(trailer + kKeyVersionSize, crypto::kAeadNonceSize);
  auto tag = std::span<std::uint8_t>(trailer + kKeyVersionSize + crypto::kAeadNonceSize,
                                     crypto::kAeadTagSize);
  Status s = next_nonce(nonce);
  if (s.ok()) {
    const PageAad aad(file_id, place, key_version_);
    s = pages_.seal_detached(nonce, plain.subspan(raw, usable - raw), aad.bytes(),
                             out.subspan(raw, usable - raw), tag);
  }
  if (!s.ok()) std::memset(out.data(), 0, out.size());
  return s;
}

Status PageCipher::open(std::span<std::uint8_t> page, const FileId& file_id, const PagePlace& place,
                        std::size_t raw) {
  const std::size_t usable = page.size() - kReservedBytes;
  std::uint8_t* trailer = page.data() + usable;
  Status s = ok_status();
  if (load_be32(trailer) != key_version_) {
    s = make_error(sqlstate::kDataCorrupted, "page was not written under this key version");
  } else {
    const PageAad aad(file_id, place, key_version_);
    auto nonce = std::span<const std::uint8_t>(trailer + kKeyVersionSize, crypto::kAeadNonceSize);
    auto tag = std::span<const std::uint8_t>(trailer + kKeyVersionSize + crypto::kAeadNonceSize,
                                             crypto::kAeadTagSize);
    auto body = page.subspan(raw, usable - raw);
    s = pages_.open_detached(nonce, body, aad.bytes(), tag, body);
  }
  if (!s.ok()) {
    std::memset(page.data(), 0, page.size());
    return s;
  }
  std::memset(trailer, 0, kReservedBytes);
  return ok_status();
}

Status PageCipher::mask(std::span<const std::uint8_t> nonce, std::span<std::uint8_t, 8> out) {
  static constexpr std::array<std::uint8_t, 8> kZero{};
  std::array<std::uint8_t, crypto::kAeadTagSize> tag{};
  return masks_.seal_detached(nonce, kZero, {}, out, tag);
}

}  // namespace dbvault::storage::vfs
