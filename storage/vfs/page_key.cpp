#include "storage/vfs/page_key.h"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <variant>

#include "crypto/kdf.h"
#include "crypto/mac.h"
#include "crypto/random.h"

namespace dbvault::storage::vfs {
namespace {
constexpr std::string_view kMaskPurpose = "dbvault tde wal-checksum-mask v1";
constexpr std::string_view kStatePurpose = "dbvault tde wal-state v1";

// Counts the fork() calls this process descends from: a child must draw its own nonces, and
// comparing a counter costs nothing where getpid() is a system call per page write.
std::atomic<std::uint64_t> g_forks{0};
void count_fork() { g_forks.fetch_add(1, std::memory_order_relaxed); }

// The process's fork generation; the handler is registered before the first nonce is drawn,
// so any child of a process holding nonces counts. nullopt if it could not be registered
// (ENOMEM): then the caller compares process ids.
std::optional<std::uint64_t> fork_generation() {
  static const bool registered = ::pthread_atfork(nullptr, nullptr, count_fork) == 0;
  if (!registered) return std::nullopt;
  return g_forks.load(std::memory_order_relaxed);
}

// The subkeys a file needs besides the page key.
struct Subkeys {
  std::optional<ChecksumMask> masks;
  crypto::SecretBytes state;
};

Result<Subkeys> derive_subkeys(crypto::AeadAlgorithm algorithm, const crypto::SecretBytes& tek) {
  auto mask_key = crypto::derive_subkey(tek, kMaskPurpose);
  if (!mask_key) return std::move(mask_key).error();
  auto masks = ChecksumMask::create(algorithm, *mask_key);
  if (!masks) return std::move(masks).error();
  auto state = crypto::derive_subkey(tek, kStatePurpose);
  if (!state) return std::move(state).error();
  return Subkeys{std::move(*masks), std::move(*state)};
}
}  // namespace

struct PageKey::Material {
  std::uint32_t version = 0;
  crypto::AeadAlgorithm algorithm = crypto::AeadAlgorithm::kAes256Gcm;  // this version's
  std::variant<crypto::SecretBytes, crypto::TekHandle> key;
  std::shared_ptr<crypto::InvocationBudget> budget;  // for SecretBytes keys

  // This version's ciphers. A gate's handle: its Aead counts against the key's persisted budget.
  Result<PageCipher::Layer> layer() const;
};

Result<PageCipher::Layer> PageKey::Material::layer() const {
  std::optional<Result<crypto::Aead>> pages;
  std::optional<Result<Subkeys>> subkeys;
  std::optional<crypto::TekHandle> lease;
  if (const auto* bytes = std::get_if<crypto::SecretBytes>(&key)) {
    pages.emplace(crypto::Aead::create(algorithm, *bytes, budget));
    subkeys.emplace(derive_subkeys(algorithm, *bytes));
  } else {
    const auto& handle = std::get<crypto::TekHandle>(key);
    pages.emplace(handle.aead());
    if (!*pages) return std::move(*pages).error();
    DBV_RETURN_IF_ERROR(handle.with_key(
        [&](const crypto::SecretBytes& tek) { subkeys.emplace(derive_subkeys(algorithm, tek)); }));
    lease = handle;
  }
  if (!*pages) return std::move(*pages).error();
  if (!subkeys) return make_error(sqlstate::kSystemError, "no subkeys");
  if (!*subkeys) return std::move(*subkeys).error();
  Subkeys& sub = **subkeys;
  return PageCipher::Layer{
      version,         algorithm, std::move(**pages), std::move(*sub.masks), std::move(sub.state),
      std::move(lease)};
}

PageKey::PageKey(std::vector<std::shared_ptr<Material>> parts)
    : algorithm_(parts.back()->algorithm),
      version_(parts.back()->version),
      parts_(std::move(parts)) {}

Result<std::shared_ptr<const PageKey>> PageKey::from_secret(crypto::AeadAlgorithm algorithm,
                                                            std::uint32_t key_version,
                                                            const crypto::SecretBytes& key) {
  if (key.size() != crypto::kAeadKeySize) {
    return make_error(sqlstate::kInvalidParameterValue, "encryption key must be 32 bytes");
  }
  auto m = std::make_shared<Material>(
      Material{key_version, algorithm, key.clone(), std::make_shared<crypto::InvocationBudget>()});
  return std::make_shared<const PageKey>(std::vector{std::move(m)});
}

Result<std::shared_ptr<const PageKey>> PageKey::from_handle(crypto::TekHandle handle) {
  if (handle.expired()) {
    return make_error(sqlstate::kSystemError, "the tablespace key expired or was locked");
  }
  const auto algorithm = handle.info().algorithm;
  const auto version = handle.info().version;
  auto m = std::make_shared<Material>(Material{version, algorithm, std::move(handle), nullptr});
  return std::make_shared<const PageKey>(std::vector{std::move(m)});
}

Result<std::shared_ptr<const PageKey>> PageKey::ring(
    const std::vector<std::shared_ptr<const PageKey>>& keys) {
  if (keys.empty()) return make_error(sqlstate::kInvalidParameterValue, "an empty key ring");
  std::vector<std::shared_ptr<Material>> parts;
  for (const auto& k : keys) {
    if (!k) return make_error(sqlstate::kInvalidParameterValue, "a key ring holds no key");
    parts.insert(parts.end(), k->parts_.begin(), k->parts_.end());
  }
  std::sort(parts.begin(), parts.end(),
            [](const auto& a, const auto& b) { return a->version < b->version; });
  for (std::size_t i = 1; i < parts.size(); ++i) {
    if (parts[i]->version == parts[i - 1]->version) {
      return make_error(sqlstate::kInvalidParameterValue, "a key ring holds a version twice");
    }
  }
  return std::make_shared<const PageKey>(std::move(parts));
}

Result<std::shared_ptr<const PageKey>> PageKey::from_handles(
    std::vector<crypto::TekHandle> handles) {
  std::vector<std::shared_ptr<const PageKey>> parts;
  for (auto& h : handles) {
    auto key = from_handle(std::move(h));
    if (!key) return std::move(key).error();
    parts.push_back(std::move(*key));
  }
  return ring(parts);
}

bool PageKey::holds(crypto::AeadAlgorithm algorithm) const {
  return std::any_of(parts_.begin(), parts_.end(),
                     [&](const auto& p) { return p->algorithm == algorithm; });
}

std::vector<std::uint32_t> PageKey::versions() const {
  std::vector<std::uint32_t> out;
  for (const auto& p : parts_) out.push_back(p->version);
  return out;
}

bool PageKey::expired() const {
  return std::any_of(parts_.begin(), parts_.end(), [](const auto& p) {
    const auto* handle = std::get_if<crypto::TekHandle>(&p->key);
    return handle != nullptr && handle->expired();
  });
}

Result<PageCipher> PageKey::cipher() const {
  std::vector<PageCipher::Layer> layers;
  for (const auto& p : parts_) {
    auto layer = p->layer();
    if (!layer) return std::move(layer).error();
    layers.push_back(std::move(*layer));
  }
  return PageCipher(std::move(layers));
}

PageCipher::PageCipher(std::vector<Layer> layers) : layers_(std::move(layers)) {}

bool PageCipher::live() {
  const Layer& sealing = layers_.back();
  if (sealing.lease && sealing.lease->withdrawn()) return false;
  // An older version withdrawn while the sealing one is not: a rotation finished and destroyed
  // it (no page is under it any more), so it leaves the ring and its key schedules go with it.
  if (layers_.size() > 1) {
    layers_.erase(std::remove_if(layers_.begin(), layers_.end() - 1,
                                 [](const Layer& l) { return l.lease && l.lease->withdrawn(); }),
                  layers_.end() - 1);
  }
  const bool leased = std::any_of(layers_.begin(), layers_.end(),
                                  [](const Layer& l) { return l.lease.has_value(); });
  if (!leased) return true;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_lease_check_) return true;
  for (const auto& l : layers_) {
    if (l.lease && l.lease->expired()) return false;
  }
  next_lease_check_ = now + kLeaseCheckInterval;
  return true;
}

PageCipher::Layer* PageCipher::layer_of(std::uint32_t version) {
  for (auto& l : layers_) {
    if (l.version == version) return &l;
  }
  return nullptr;
}

Result<crypto::MacTag> PageCipher::state_tag(std::span<const std::uint8_t> data) const {
  return crypto::hmac_sha256(layers_.back().state_key, data);
}

bool PageCipher::verify_state(std::span<const std::uint8_t> data,
                              std::span<const std::uint8_t> tag) const {
  // Newest first: after a rotation's first state write the sealing version is the one.
  return std::any_of(layers_.rbegin(), layers_.rend(), [&](const Layer& l) {
    return crypto::verify_hmac_sha256(l.state_key, data, tag);
  });
}

Status PageCipher::next_nonce(std::span<std::uint8_t> out) {
  const auto forks = fork_generation();
  const std::uint64_t origin = forks ? *forks : static_cast<std::uint64_t>(::getpid()) << 32;
  if (nonces_left_ == 0 || origin != nonce_origin_) {
    DBV_RETURN_IF_ERROR(crypto::random_bytes(nonces_));
    nonces_left_ = kBatch;
    nonce_origin_ = origin;
  }
  --nonces_left_;
  std::uint8_t* n = nonces_.data() + nonces_left_ * crypto::kAeadNonceSize;
  std::copy_n(n, crypto::kAeadNonceSize, out.begin());
  std::memset(n, 0, crypto::kAeadNonceSize);  // used once
  return ok_status();
}

std::span<const std::uint8_t> PageCipher::stamp_of(std::span<const std::uint8_t> page) {
  return page.subspan(page.size() - kReservedBytes, kStampSize);
}

std::uint32_t PageCipher::version_of(std::span<const std::uint8_t> page) {
  return load_be32(page.data() + page.size() - kReservedBytes);
}

Status PageCipher::seal(std::span<const std::uint8_t> plain, std::span<std::uint8_t> out,
                        const FileId& file_id, const PagePlace& place, std::size_t raw) {
  const std::size_t usable = plain.size() - kReservedBytes;
  std::uint8_t* trailer = out.data() + usable;
  Layer& active = layers_.back();
  store_be32(trailer, active.version);
  auto nonce = std::span<std::uint8_t>(trailer + kKeyVersionSize, crypto::kAeadNonceSize);
  auto tag = std::span<std::uint8_t>(trailer + kKeyVersionSize + crypto::kAeadNonceSize,
                                     crypto::kAeadTagSize);
  Status s = next_nonce(nonce);
  if (s.ok()) {
    const PageAad aad(file_id, place, active.version);
    s = active.pages.seal_detached(nonce, plain.subspan(raw, usable - raw), aad.bytes(),
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
  const std::uint32_t version = load_be32(trailer);
  Layer* layer = layer_of(version);
  if (layer == nullptr) {
    s = make_error(sqlstate::kDataCorrupted, "page was not written under a key version held");
  } else {
    const PageAad aad(file_id, place, version);
    auto nonce = std::span<const std::uint8_t>(trailer + kKeyVersionSize, crypto::kAeadNonceSize);
    auto tag = std::span<const std::uint8_t>(trailer + kKeyVersionSize + crypto::kAeadNonceSize,
                                             crypto::kAeadTagSize);
    auto body = page.subspan(raw, usable - raw);
    s = layer->pages.open_detached(nonce, body, aad.bytes(), tag, body);
  }
  if (!s.ok()) {
    std::memset(page.data(), 0, page.size());
    return s;
  }
  std::memset(trailer, 0, kReservedBytes);
  return ok_status();
}

Status PageCipher::mask(std::span<const std::uint8_t> stamp, std::span<std::uint8_t, 8> out) {
  Layer* layer = layer_of(load_be32(stamp.data()));
  if (layer == nullptr) layer = &layers_.back();
  return layer->masks.compute(stamp.subspan(kKeyVersionSize, crypto::kAeadNonceSize), out);
}

}  // namespace dbvault::storage::vfs
