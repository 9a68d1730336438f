#include "crypto/kmip_provider.h"

#include <array>
#include <chrono>
#include <mutex>

#include "crypto/kmip/kmip_client.h"
#include "crypto/random.h"

namespace dbvault::crypto {
namespace {

using kmip::Item;
using kmip::KmipClient;
using kmip::Operation;

constexpr std::uint8_t kFormatV1 = 0x01;
constexpr std::size_t kIv = 12;
constexpr std::size_t kTag = 16;
constexpr std::size_t kPrefix = 1 + kIv + kTag;
constexpr std::size_t kMaxKey = 64;

Error key_error(const std::string& name, const std::string& why) {
  return make_error(sqlstate::kSystemError, "master key \"" + name + "\" (kmip): " + why);
}

std::vector<std::uint8_t> additional_data(const std::string& name) {
  static constexpr std::string_view kLabel = "dbvault kmip wrap v1";
  std::vector<std::uint8_t> aad(kLabel.begin(), kLabel.end());
  aad.push_back(0);
  aad.insert(aad.end(), name.begin(), name.end());
  return aad;
}

kmip::ClientOptions client_options(const KmipOptions& o) {
  kmip::ClientOptions c;
  c.tls = {o.host, o.port, o.cert_path, o.key_path, o.ca_path, o.connect_timeout, o.io_timeout};
  c.attempts = o.attempts;
  return c;
}

// Rejects a key that is not an Active 256-bit AES key named `name`. PyKMIP's Locate matches an
// object without a Name against any name, so the name is checked here too.
Status verify_key(KmipClient& c, const std::string& uid, const std::string& name) {
  static constexpr std::string_view kNames[] = {"State", "Cryptographic Algorithm",
                                                "Cryptographic Length", "Name"};
  auto attrs = c.call(Operation::kGetAttributes, uid, kmip::get_attributes_payload(uid, kNames));
  if (!attrs) return key_error(name, attrs.error().message);
  const Item* state = kmip::attribute_value(*attrs, "State");
  const Item* alg = kmip::attribute_value(*attrs, "Cryptographic Algorithm");
  const Item* len = kmip::attribute_value(*attrs, "Cryptographic Length");
  const Item* nm = kmip::attribute_value(*attrs, "Name");
  const Item* nv = nm != nullptr ? nm->find(kmip::tag::kNameValue) : nullptr;
  if (nv == nullptr || nv->text_value() != name)
    return key_error(name, "object " + uid + " on " + c.endpoint() + " is not named so");
  if (alg == nullptr || alg->number() != kmip::kAlgorithmAes || len == nullptr ||
      len->number() != 256)
    return key_error(name, "object " + uid + " on " + c.endpoint() + " is not a 256-bit AES key");
  if (state == nullptr || state->number() != kmip::kStateActive) {
    const std::int64_t s = state != nullptr ? state->number() : 0;
    static constexpr const char* kStates[] = {"in an unknown state",
                                              "Pre-Active",
                                              "Active",
                                              "Deactivated (revoked)",
                                              "Compromised (revoked)",
                                              "Destroyed",
                                              "Destroyed Compromised"};
    return key_error(name, "object " + uid + " on " + c.endpoint() + " is " +
                               kStates[s >= 1 && s <= 6 ? s : 0] + ", not Active");
  }
  return ok_status();
}

// The unique identifier of the key named `name`, creating and activating it if allowed.
Result<std::string> find_key(KmipClient& c, const KmipOptions& o) {
  auto found = c.call(Operation::kLocate, {}, kmip::locate_by_name_payload(o.key_name));
  if (!found) return key_error(o.key_name, found.error().message);
  auto ids = kmip::unique_ids_of(*found);
  if (!ids) return key_error(o.key_name, ids.error().message);
  if (ids->size() > 1)
    return key_error(o.key_name, std::to_string(ids->size()) + " keys on " + c.endpoint() +
                                     " have this name; it must name exactly one");
  if (ids->size() == 1) return (*ids)[0];
  if (!o.create_key_if_missing)
    return key_error(o.key_name, "no key of this name on " + c.endpoint() +
                                     " visible to this client certificate");
  auto created = c.call(Operation::kCreate, {}, kmip::create_aes256_payload(o.key_name));
  if (!created) return key_error(o.key_name, created.error().message);
  auto uid = kmip::unique_id_of(*created, Operation::kCreate);
  if (!uid) return key_error(o.key_name, uid.error().message);
  auto active = c.call(Operation::kActivate, *uid, kmip::unique_id_payload(*uid));
  if (!active) return key_error(o.key_name, active.error().message);
  return uid;
}

class KmipMasterKey final : public MasterKeyProvider {
 public:
  KmipMasterKey(std::unique_ptr<KmipClient> client, std::string uid, std::string name,
                std::chrono::milliseconds health_interval)
      : client_(std::move(client)),
        uid_(std::move(uid)),
        name_(std::move(name)),
        aad_(additional_data(name_)),
        health_interval_(health_interval),
        healthy_at_(std::chrono::steady_clock::now()) {}

  std::string_view kind() const override { return "kmip"; }
  const std::string& key_id() const override { return name_; }

  Result<std::vector<std::uint8_t>> wrap(const SecretBytes& key) override {
    if (key.empty() || key.size() > kMaxKey) return key_error(name_, "wrap of a bad key size");
    std::array<std::uint8_t, kIv> iv{};
    if (auto s = random_bytes(iv); !s) return std::move(s).error();
    auto out = client_->call(
        Operation::kEncrypt, uid_,
        kmip::encrypt_gcm_payload(uid_, {.data = key.view(), .iv = iv, .aad = aad_, .tag = {}}));
    if (!out) return failed(out.error());
    auto ct = kmip::data_of(*out, Operation::kEncrypt);
    auto tag = kmip::auth_tag_of(*out);
    if (!ct || !tag || ct->size() != key.size() || tag->size() != kTag)
      return key_error(name_, "Encrypt response of " + client_->endpoint() + " is malformed");
    std::vector<std::uint8_t> wrapped{kFormatV1};
    wrapped.insert(wrapped.end(), iv.begin(), iv.end());
    wrapped.insert(wrapped.end(), tag->begin(), tag->end());
    wrapped.insert(wrapped.end(), ct->begin(), ct->end());
    // A key manager that silently used another IV or dropped the additional data would leave a
    // record nobody can unwrap: the TEK (and its data) would be lost. Prove it unwraps first.
    auto back = unwrap(wrapped);
    if (!back)
      return key_error(name_, "a wrap by " + client_->endpoint() +
                                  " does not unwrap again: " + back.error().message);
    if (!back->equals(key))
      return key_error(name_, "a wrap by " + client_->endpoint() + " unwraps to another key");
    return wrapped;
  }

  Result<SecretBytes> unwrap(std::span<const std::uint8_t> wrapped) override {
    if (wrapped.size() <= kPrefix || wrapped.size() > kPrefix + kMaxKey || wrapped[0] != kFormatV1)
      return key_error(name_, "not a KMIP-wrapped key (format 1)");
    const kmip::GcmInput in{.data = wrapped.subspan(kPrefix),
                            .iv = wrapped.subspan(1, kIv),
                            .aad = aad_,
                            .tag = wrapped.subspan(1 + kIv, kTag)};
    auto out = client_->call(Operation::kDecrypt, uid_, kmip::decrypt_gcm_payload(uid_, in));
    if (!out) return failed(out.error());
    auto pt = kmip::data_of(*out, Operation::kDecrypt);
    if (!pt || pt->size() != in.data.size())
      return key_error(name_, "Decrypt response of " + client_->endpoint() + " is malformed");
    return SecretBytes::copy_of(*pt);
  }

  Status check() override {
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(mu_);
      if (healthy_ && now - healthy_at_ < health_interval_) return ok_status();
    }
    Status s = verify_key(*client_, uid_, name_);
    std::lock_guard lock(mu_);
    healthy_ = s.ok();
    healthy_at_ = now;
    return s;
  }

 private:
  // Any failed call forgets the last successful health check.
  Error failed(const Error& e) {
    {
      std::lock_guard lock(mu_);
      healthy_ = false;
    }
    return key_error(name_, e.message);
  }

  std::unique_ptr<KmipClient> client_;
  const std::string uid_;
  const std::string name_;
  const std::vector<std::uint8_t> aad_;
  const std::chrono::milliseconds health_interval_;
  std::mutex mu_;
  bool healthy_ = true;  // verified by open_kmip_provider just before construction
  std::chrono::steady_clock::time_point healthy_at_;
};

Result<std::unique_ptr<KmipClient>> connect(const KmipOptions& o) {
  if (auto s = validate_key_id(o.key_name); !s) return std::move(s).error();
  if (o.host.empty() || o.cert_path.empty() || o.key_path.empty() || o.ca_path.empty())
    return make_error(sqlstate::kInvalidParameterValue,
                      "kmip provider needs host, client certificate, client key and CA file");
  auto c = KmipClient::connect(client_options(o));
  if (!c) return key_error(o.key_name, c.error().message);
  return c;
}

}  // namespace

Result<std::unique_ptr<MasterKeyProvider>> open_kmip_provider(const KmipOptions& options) {
  auto client = connect(options);
  if (!client) return std::move(client).error();
  auto uid = find_key(**client, options);
  if (!uid) return std::move(uid).error();
  if (auto s = verify_key(**client, *uid, options.key_name); !s) return std::move(s).error();
  return std::unique_ptr<MasterKeyProvider>(new KmipMasterKey(
      std::move(*client), std::move(*uid), options.key_name, options.health_interval));
}

Status retire_kmip_key(const KmipOptions& options, bool destroy) {
  auto client = connect(options);
  if (!client) return std::move(client).error();
  KmipOptions lookup = options;
  lookup.create_key_if_missing = false;
  auto uid = find_key(**client, lookup);
  if (!uid) return std::move(uid).error();
  auto revoked = (*client)->call(Operation::kRevoke, *uid,
                                 kmip::revoke_payload(*uid, kmip::kRevocationCessationOfOperation));
  if (!revoked) return key_error(options.key_name, revoked.error().message);
  if (!destroy) return ok_status();
  auto destroyed = (*client)->call(Operation::kDestroy, *uid, kmip::unique_id_payload(*uid));
  if (!destroyed) return key_error(options.key_name, destroyed.error().message);
  return ok_status();
}

}  // namespace dbvault::crypto
