#include "crypto/openssl_util.h"

#include <openssl/err.h>

#include <map>
#include <mutex>

namespace dbvault::crypto::internal {

const EVP_CIPHER* cached_cipher(std::string_view name) {
  static std::mutex mu;
  static std::map<std::string, CipherPtr, std::less<>> cache;
  std::lock_guard lock(mu);
  auto it = cache.find(name);
  if (it != cache.end()) return it->second.get();
  CipherPtr cipher(EVP_CIPHER_fetch(nullptr, std::string(name).c_str(), nullptr));
  if (!cipher) return nullptr;
  return cache.emplace(std::string(name), std::move(cipher)).first->second.get();
}

Error openssl_error(SqlState code, std::string_view what) {
  std::string message(what);
  const unsigned long err = ERR_get_error();
  if (err != 0) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof buf);
    message += " (";
    message += buf;
    message += ")";
  }
  ERR_clear_error();
  return make_error(code, std::move(message));
}

void clear_openssl_errors() { ERR_clear_error(); }

}  // namespace dbvault::crypto::internal
