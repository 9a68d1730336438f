#include "crypto/pkcs11_provider.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "common/secret_string.h"
#include "crypto/pkcs11_module.h"

namespace dbvault::crypto {
namespace {

using internal::Pkcs11Module;
using internal::Pkcs11Session;
using internal::Pkcs11TempObject;
using internal::rv_name;

CK_BBOOL kTrue = CK_TRUE;
CK_BBOOL kFalse = CK_FALSE;
CK_OBJECT_CLASS kSecretKey = CKO_SECRET_KEY;
CK_KEY_TYPE kAes = CKK_AES;
CK_KEY_TYPE kGeneric = CKK_GENERIC_SECRET;
CK_ULONG kKeyLen = 32;

CK_ATTRIBUTE attr(CK_ATTRIBUTE_TYPE type, void* value, CK_ULONG len) { return {type, value, len}; }
template <typename T>
CK_ATTRIBUTE attr(CK_ATTRIBUTE_TYPE type, T& value) {
  return {type, &value, sizeof value};
}

Error p11_error(const std::string& token, const std::string& what, CK_RV rv) {
  return make_error(sqlstate::kSystemError,
                    "PKCS#11 token \"" + token + "\": " + what + " (" + rv_name(rv) + ")");
}

// Token labels are 32 bytes padded with spaces.
std::string trimmed_label(const unsigned char (&label)[32]) {
  std::string s(reinterpret_cast<const char*>(label), 32);
  s.erase(s.find_last_not_of(' ') + 1);
  return s;
}

Result<CK_SLOT_ID> find_slot(CK_FUNCTION_LIST_PTR fn, const Pkcs11Options& o) {
  CK_ULONG count = 0;
  CK_RV rv = fn->C_GetSlotList(CK_TRUE, nullptr, &count);
  std::vector<CK_SLOT_ID> slots(count);
  if (rv == CKR_OK && count > 0) rv = fn->C_GetSlotList(CK_TRUE, slots.data(), &count);
  if (rv != CKR_OK) return p11_error(o.token_label, "cannot list slots", rv);
  for (CK_ULONG i = 0; i < count; ++i) {
    CK_TOKEN_INFO info{};
    if (fn->C_GetTokenInfo(slots[i], &info) != CKR_OK) continue;
    const bool slot_ok = !o.slot_id || *o.slot_id == slots[i];
    const bool label_ok = o.token_label.empty() || trimmed_label(info.label) == o.token_label;
    if (slot_ok && label_ok && (info.flags & CKF_TOKEN_INITIALIZED) != 0) return slots[i];
  }
  return make_error(sqlstate::kSystemError,
                    "PKCS#11 token \"" + o.token_label + "\"" +
                        (o.slot_id ? " in slot " + std::to_string(*o.slot_id) : std::string()) +
                        " not found (module " + o.module_path + "): is the token present?");
}

class Pkcs11MasterKey final : public MasterKeyProvider {
 public:
  Pkcs11MasterKey(std::unique_ptr<Pkcs11Session> session, CK_OBJECT_HANDLE mek, std::string token,
                  std::string id)
      : session_(std::move(session)), mek_(mek), token_(std::move(token)), id_(std::move(id)) {}

  std::string_view kind() const override { return "pkcs11"; }
  const std::string& key_id() const override { return id_; }

  Result<std::vector<std::uint8_t>> wrap(const SecretBytes& key) override {
    std::lock_guard lock(mu_);
    auto fn = session_->fn();
    CK_ATTRIBUTE tmpl[] = {
        attr(CKA_CLASS, kSecretKey),
        attr(CKA_KEY_TYPE, kGeneric),
        attr(CKA_TOKEN, kFalse),
        attr(CKA_SENSITIVE, kTrue),
        attr(CKA_EXTRACTABLE, kTrue),
        attr(CKA_VALUE, const_cast<std::uint8_t*>(key.data()), key.size())};  // NOLINT
    CK_OBJECT_HANDLE obj = CK_INVALID_HANDLE;
    CK_RV rv = fn->C_CreateObject(session_->handle(), tmpl, std::size(tmpl), &obj);
    if (rv != CKR_OK) return p11_error(token_, "cannot import a key to wrap", rv);
    Pkcs11TempObject temp(*session_, obj);
    CK_MECHANISM mech{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
    CK_ULONG len = 0;
    rv = fn->C_WrapKey(session_->handle(), &mech, mek_, temp.get(), nullptr, &len);
    std::vector<std::uint8_t> out(len);
    if (rv == CKR_OK)
      rv = fn->C_WrapKey(session_->handle(), &mech, mek_, temp.get(), out.data(), &len);
    if (rv != CKR_OK)
      return p11_error(token_, "cannot wrap a key with master key \"" + id_ + "\"", rv);
    out.resize(len);
    return out;
  }

  Result<SecretBytes> unwrap(std::span<const std::uint8_t> wrapped) override {
    std::lock_guard lock(mu_);
    auto fn = session_->fn();
    CK_ATTRIBUTE tmpl[] = {attr(CKA_CLASS, kSecretKey), attr(CKA_KEY_TYPE, kGeneric),
                           attr(CKA_TOKEN, kFalse), attr(CKA_SENSITIVE, kFalse),
                           attr(CKA_EXTRACTABLE, kTrue)};
    CK_MECHANISM mech{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
    CK_OBJECT_HANDLE obj = CK_INVALID_HANDLE;
    CK_RV rv = fn->C_UnwrapKey(session_->handle(), &mech, mek_,
                               const_cast<std::uint8_t*>(wrapped.data()), wrapped.size(),  // NOLINT
                               tmpl, std::size(tmpl), &obj);
    if (rv != CKR_OK) {
      return p11_error(token_,
                       "cannot unwrap a key with master key \"" + id_ +
                           "\": wrong master key or altered wrapped key",
                       rv);
    }
    Pkcs11TempObject temp(*session_, obj);
    CK_ATTRIBUTE value = attr(CKA_VALUE, nullptr, 0);
    rv = fn->C_GetAttributeValue(session_->handle(), temp.get(), &value, 1);
    if (rv != CKR_OK || value.ulValueLen == 0 || value.ulValueLen > 1024) {
      return p11_error(token_, "cannot read an unwrapped key", rv);
    }
    SecretBytes key(value.ulValueLen);
    value.pValue = key.data();
    rv = fn->C_GetAttributeValue(session_->handle(), temp.get(), &value, 1);
    if (rv != CKR_OK) return p11_error(token_, "cannot read an unwrapped key", rv);
    return key;
  }

  Status check() override {
    std::lock_guard lock(mu_);
    auto fn = session_->fn();
    CK_SESSION_INFO info{};
    CK_RV rv = fn->C_GetSessionInfo(session_->handle(), &info);
    CK_KEY_TYPE type = 0;
    CK_ATTRIBUTE a = attr(CKA_KEY_TYPE, type);
    if (rv == CKR_OK) rv = fn->C_GetAttributeValue(session_->handle(), mek_, &a, 1);
    if (rv != CKR_OK) {
      return p11_error(token_, "master key \"" + id_ + "\" is unreachable (token removed?)", rv);
    }
    return ok_status();
  }

 private:
  std::mutex mu_;  // a PKCS#11 session must not be used by two threads at once
  std::unique_ptr<Pkcs11Session> session_;
  CK_OBJECT_HANDLE mek_;
  std::string token_;
  std::string id_;
};

Result<std::unique_ptr<Pkcs11Session>> login(std::shared_ptr<Pkcs11Module> module, CK_SLOT_ID slot,
                                             const Pkcs11Options& o) {
  const char* pin_env = std::getenv(o.pin_variable.c_str());
  if (pin_env == nullptr || *pin_env == '\0') {
    return make_error(sqlstate::kSystemError, "PKCS#11 token \"" + o.token_label + "\": " +
                                                  o.pin_variable + " (the user PIN) is not set");
  }
  const SecretString pin(pin_env);
  auto fn = module->fn();
  CK_SESSION_HANDLE handle = CK_INVALID_HANDLE;
  CK_RV rv =
      fn->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &handle);
  if (rv != CKR_OK) return p11_error(o.token_label, "cannot open a session", rv);
  auto session = std::make_unique<Pkcs11Session>(std::move(module), handle);
  rv = fn->C_Login(
      handle, CKU_USER,
      reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(pin.reveal().data())),  // NOLINT
      pin.size());
  if (rv == CKR_PIN_INCORRECT) {
    return p11_error(o.token_label, "login failed: incorrect PIN (from " + o.pin_variable + ")",
                     rv);
  }
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
    return p11_error(o.token_label, "login failed", rv);
  }
  return session;
}

Result<CK_OBJECT_HANDLE> generate_mek(const Pkcs11Session& s, const Pkcs11Options& o) {
  std::string label = o.key_label;
  CK_ATTRIBUTE tmpl[] = {attr(CKA_CLASS, kSecretKey),
                         attr(CKA_KEY_TYPE, kAes),
                         attr(CKA_TOKEN, kTrue),
                         attr(CKA_PRIVATE, kTrue),
                         attr(CKA_SENSITIVE, kTrue),
                         attr(CKA_EXTRACTABLE, kFalse),
                         attr(CKA_WRAP, kTrue),
                         attr(CKA_UNWRAP, kTrue),
                         attr(CKA_ENCRYPT, kFalse),
                         attr(CKA_DECRYPT, kFalse),
                         attr(CKA_VALUE_LEN, kKeyLen),
                         attr(CKA_LABEL, label.data(), label.size()),
                         attr(CKA_ID, label.data(), label.size())};
  CK_MECHANISM mech{CKM_AES_KEY_GEN, nullptr, 0};
  CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
  const CK_RV rv = s.fn()->C_GenerateKey(s.handle(), &mech, tmpl, std::size(tmpl), &key);
  if (rv != CKR_OK)
    return p11_error(o.token_label, "cannot generate master key \"" + label + "\"", rv);
  return key;
}

Result<CK_OBJECT_HANDLE> find_mek(const Pkcs11Session& s, const Pkcs11Options& o) {
  std::string label = o.key_label;
  CK_ATTRIBUTE tmpl[] = {attr(CKA_CLASS, kSecretKey), attr(CKA_KEY_TYPE, kAes),
                         attr(CKA_LABEL, label.data(), label.size())};
  auto fn = s.fn();
  CK_OBJECT_HANDLE found[2];
  CK_ULONG count = 0;
  CK_RV rv = fn->C_FindObjectsInit(s.handle(), tmpl, std::size(tmpl));
  if (rv == CKR_OK) rv = fn->C_FindObjects(s.handle(), found, 2, &count);
  fn->C_FindObjectsFinal(s.handle());
  if (rv != CKR_OK) return p11_error(o.token_label, "cannot search for the master key", rv);
  if (count == 0 && o.create_key_if_missing) return generate_mek(s, o);
  if (count != 1) {
    return make_error(sqlstate::kSystemError,
                      "PKCS#11 token \"" + o.token_label + "\": " +
                          (count == 0 ? "master key \"" + label + "\" not found"
                                      : "more than one key is labelled \"" + label + "\""));
  }
  return found[0];
}

// Refuses a MEK that could leave the token or cannot wrap.
Status check_mek_attributes(const Pkcs11Session& s, CK_OBJECT_HANDLE key, const Pkcs11Options& o) {
  CK_BBOOL extractable = CK_TRUE, sensitive = CK_FALSE, wrap = CK_FALSE, unwrap = CK_FALSE;
  CK_ULONG len = 0;
  CK_ATTRIBUTE attrs[] = {attr(CKA_EXTRACTABLE, extractable), attr(CKA_SENSITIVE, sensitive),
                          attr(CKA_WRAP, wrap), attr(CKA_UNWRAP, unwrap), attr(CKA_VALUE_LEN, len)};
  const CK_RV rv = s.fn()->C_GetAttributeValue(s.handle(), key, attrs, std::size(attrs));
  if (rv != CKR_OK) return p11_error(o.token_label, "cannot inspect the master key", rv);
  if (extractable != CK_FALSE || sensitive != CK_TRUE || wrap != CK_TRUE || unwrap != CK_TRUE ||
      len != 32) {
    return make_error(sqlstate::kSystemError,
                      "PKCS#11 token \"" + o.token_label + "\": refusing master key \"" +
                          o.key_label +
                          "\": it must be a sensitive, non-extractable AES-256 wrap/unwrap key");
  }
  return ok_status();
}

}  // namespace

Result<std::unique_ptr<MasterKeyProvider>> open_pkcs11_provider(const Pkcs11Options& o) {
  DBV_RETURN_IF_ERROR(validate_key_id(o.key_label));
  if (o.token_label.empty() && !o.slot_id) {
    return make_error(sqlstate::kSystemError, "PKCS#11: configure a token label or a slot id");
  }
  auto module = Pkcs11Module::load(o.module_path);
  if (!module) return std::move(module).error();
  auto slot = find_slot((*module)->fn(), o);
  if (!slot) return std::move(slot).error();
  auto session = login(std::move(*module), *slot, o);
  if (!session) return std::move(session).error();
  auto mek = find_mek(**session, o);
  if (!mek) return std::move(mek).error();
  DBV_RETURN_IF_ERROR(check_mek_attributes(**session, *mek, o));
  return std::unique_ptr<MasterKeyProvider>(
      std::make_unique<Pkcs11MasterKey>(std::move(*session), *mek, o.token_label, o.key_label));
}

}  // namespace dbvault::crypto
