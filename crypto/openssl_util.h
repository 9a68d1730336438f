// Internal to crypto/: RAII owners for OpenSSL handles and the translation of OpenSSL's error
// queue into dbvault errors. Not part of the public interface.
#pragma once

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace dbvault::crypto::internal {

template <typename T, void (*Free)(T*)>
struct OpensslDeleter {
  void operator()(T* p) const { Free(p); }
};
template <typename T, void (*Free)(T*)>
using OpensslPtr = std::unique_ptr<T, OpensslDeleter<T, Free>>;

using CipherCtxPtr = OpensslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using CipherPtr = OpensslPtr<EVP_CIPHER, EVP_CIPHER_free>;
using MacPtr = OpensslPtr<EVP_MAC, EVP_MAC_free>;
using MacCtxPtr = OpensslPtr<EVP_MAC_CTX, EVP_MAC_CTX_free>;
using KdfPtr = OpensslPtr<EVP_KDF, EVP_KDF_free>;
using KdfCtxPtr = OpensslPtr<EVP_KDF_CTX, EVP_KDF_CTX_free>;

// Fetches a cipher by name once per process (fetching is slow: it takes a global lock).
// Returns nullptr if the provider lacks it.
const EVP_CIPHER* cached_cipher(std::string_view name);

// An Error with `code` and "<what>: <OpenSSL reason>", draining OpenSSL's error queue. The
// reason strings name algorithms and failures, never data.
Error openssl_error(SqlState code, std::string_view what);

// Clears OpenSSL's per-thread error queue, so that a failure we handled does not leak into the
// next caller's diagnostics.
void clear_openssl_errors();

}  // namespace dbvault::crypto::internal
