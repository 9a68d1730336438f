// Internal to crypto/: a loaded PKCS#11 module (dlopen + C_GetFunctionList + C_Initialize),
// shared per path within the process because C_Initialize/C_Finalize are per process, and the
// translation of CK_RV codes into names for error messages.
#pragma once

#include <p11-kit/pkcs11.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace dbvault::crypto::internal {

class Pkcs11Module {
 public:
  // The module at `path`, loaded and initialized once per process (later calls share it;
  // C_Finalize runs when the last user releases it). 58000 if it cannot be loaded.
  static Result<std::shared_ptr<Pkcs11Module>> load(const std::string& path);

  Pkcs11Module(void* dl, CK_FUNCTION_LIST_PTR fn, bool finalize);
  ~Pkcs11Module();
  Pkcs11Module(const Pkcs11Module&) = delete;
  Pkcs11Module& operator=(const Pkcs11Module&) = delete;

  CK_FUNCTION_LIST_PTR fn() const { return fn_; }

 private:
  void* dl_;
  CK_FUNCTION_LIST_PTR fn_;
  bool finalize_;
};

// "CKR_PIN_INCORRECT" etc., or "CKR_0x..." for codes without a name here.
std::string rv_name(CK_RV rv);

// A logged-in session on one token; closed on destruction. Keeps the module loaded.
class Pkcs11Session {
 public:
  Pkcs11Session(std::shared_ptr<Pkcs11Module> module, CK_SESSION_HANDLE handle)
      : module_(std::move(module)), handle_(handle) {}
  ~Pkcs11Session() {
    if (module_) module_->fn()->C_CloseSession(handle_);
  }
  Pkcs11Session(const Pkcs11Session&) = delete;
  Pkcs11Session& operator=(const Pkcs11Session&) = delete;
  CK_FUNCTION_LIST_PTR fn() const { return module_->fn(); }
  CK_SESSION_HANDLE handle() const { return handle_; }

 private:
  std::shared_ptr<Pkcs11Module> module_;
  CK_SESSION_HANDLE handle_;
};

// A session object (a temporary key) destroyed when this goes out of scope.
class Pkcs11TempObject {
 public:
  Pkcs11TempObject(const Pkcs11Session& session, CK_OBJECT_HANDLE object)
      : session_(session), object_(object) {}
  ~Pkcs11TempObject() { session_.fn()->C_DestroyObject(session_.handle(), object_); }
  Pkcs11TempObject(const Pkcs11TempObject&) = delete;
  Pkcs11TempObject& operator=(const Pkcs11TempObject&) = delete;
  CK_OBJECT_HANDLE get() const { return object_; }

 private:
  const Pkcs11Session& session_;
  CK_OBJECT_HANDLE object_;
};

}  // namespace dbvault::crypto::internal
