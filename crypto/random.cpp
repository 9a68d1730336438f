#include "crypto/random.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <limits>

#include "crypto/openssl_util.h"

namespace dbvault::crypto {

Status random_bytes(std::span<std::uint8_t> out) {
  if (out.empty()) return ok_status();
  if (out.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return internal::openssl_error(sqlstate::kSystemError, "random number generator failed");
  }
  return ok_status();
}

Result<SecretBytes> random_key(std::size_t size) {
  SecretBytes key(size);
  if (size > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      RAND_priv_bytes(key.data(), static_cast<int>(size)) != 1) {
    return internal::openssl_error(sqlstate::kSystemError, "random number generator failed");
  }
  return key;
}

}  // namespace dbvault::crypto
