// The stored side of SCRAM: parsing verifiers, mock verifiers for unknown users, and the
// tls-server-end-point hash of a certificate.
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <memory>

#include "crypto/mac.h"
#include "server/wire/base64.h"
#include "server/wire/scram.h"

namespace dbvault::server::wire {

namespace {

constexpr int kMaxIterations = 10'000'000;  // bounds the work a corrupted store could cause

Error malformed_verifier() {
  return make_error(sqlstate::kSystemError, "malformed SCRAM verifier");
}

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::optional<int> parse_iterations(std::string_view digits) {
  if (digits.empty() || digits.size() > 8) return std::nullopt;
  int n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n < 1 || n > kMaxIterations) return std::nullopt;
  return n;
}

// HMAC(secret, label 0x00 user): one independent value per (label, user).
Result<crypto::MacTag> mock_part(const crypto::SecretBytes& secret, std::string_view label,
                                 std::string_view user) {
  std::string msg(label);
  msg.push_back('\0');
  msg.append(user);
  return crypto::hmac_sha256(secret, bytes_of(msg));
}

}  // namespace

Result<ScramVerifier> parse_scram_verifier(std::string_view text) {
  constexpr std::string_view kPrefix = "SCRAM-SHA-256$";
  if (!text.starts_with(kPrefix)) return malformed_verifier();
  text.remove_prefix(kPrefix.size());
  const auto colon1 = text.find(':');
  const auto dollar = text.find('$');
  if (colon1 == std::string_view::npos || dollar == std::string_view::npos || colon1 > dollar) {
    return malformed_verifier();
  }
  const auto colon2 = text.find(':', dollar);
  if (colon2 == std::string_view::npos) return malformed_verifier();
  auto iterations = parse_iterations(text.substr(0, colon1));
  auto salt = internal::base64_decode(text.substr(colon1 + 1, dollar - colon1 - 1));
  auto stored = internal::base64_decode(text.substr(dollar + 1, colon2 - dollar - 1));
  auto server = internal::base64_decode(text.substr(colon2 + 1));
  if (!iterations || !salt || salt->empty() || !stored || stored->size() != 32 || !server ||
      server->size() != 32) {
    return malformed_verifier();
  }
  ScramVerifier v;
  v.iterations = *iterations;
  v.salt = std::move(*salt);
  std::copy(stored->begin(), stored->end(), v.stored_key.begin());
  v.server_key = crypto::SecretBytes::copy_of(*server);
  OPENSSL_cleanse(server->data(), server->size());
  return v;
}

Result<std::string> mock_scram_verifier(std::string_view user,
                                        const crypto::SecretBytes& server_secret, int iterations) {
  if (server_secret.empty()) {
    return make_error(sqlstate::kInvalidParameterValue, "the SCRAM mock secret is empty");
  }
  auto salt = mock_part(server_secret, "dbvault scram mock salt", user);
  auto stored = mock_part(server_secret, "dbvault scram mock stored key", user);
  auto server = mock_part(server_secret, "dbvault scram mock server key", user);
  if (!salt || !stored || !server) return malformed_verifier();
  return "SCRAM-SHA-256$" + std::to_string(iterations) + ":" +
         internal::base64_encode(std::span(*salt).first(16)) + "$" +
         internal::base64_encode(*stored) + ":" + internal::base64_encode(*server);
}

Result<std::vector<std::uint8_t>> tls_server_end_point(std::span<const std::uint8_t> cert_der) {
  const unsigned char* p = cert_der.data();
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      d2i_X509(nullptr, &p, static_cast<long>(cert_der.size())), &X509_free);
  if (!cert || p != cert_der.data() + cert_der.size()) {
    return make_error(sqlstate::kSystemError, "cannot parse the server certificate");
  }
  int md_nid = NID_undef;
  if (X509_get_signature_info(cert.get(), &md_nid, nullptr, nullptr, nullptr) != 1 ||
      md_nid == NID_undef) {
    return make_error(sqlstate::kSystemError,
                      "the server certificate's signature hash does not allow channel binding");
  }
  // RFC 5929 §4.1: MD5 and SHA-1 are replaced by SHA-256.
  const EVP_MD* md =
      (md_nid == NID_md5 || md_nid == NID_sha1) ? EVP_sha256() : EVP_get_digestbynid(md_nid);
  std::vector<std::uint8_t> hash(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (md == nullptr || X509_digest(cert.get(), md, hash.data(), &len) != 1) {
    return make_error(sqlstate::kSystemError, "cannot hash the server certificate");
  }
  hash.resize(len);
  return hash;
}

}  // namespace dbvault::server::wire
