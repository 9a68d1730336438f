#include "vault/credentials.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <array>
#include <optional>
#include <vector>

#include "crypto/kdf.h"
#include "crypto/mac.h"
#include "crypto/random.h"

namespace dbvault::vault {

namespace {

using Bytes = std::vector<std::uint8_t>;

std::string base64(std::span<const std::uint8_t> in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), in.data(),
                                static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<Bytes> unbase64(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0) return std::nullopt;
  Bytes out(in.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  std::size_t len = static_cast<std::size_t>(n);
  if (in.ends_with("=="))
    len -= 2;
  else if (in.ends_with("="))
    len -= 1;
  out.resize(len);
  return out;
}

std::string base64url(std::span<const std::uint8_t> in) {
  std::string s = base64(in);
  for (char& c : s) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

Error crypto_failure(std::string_view what) {
  return make_error(sqlstate::kSystemError, "cannot compute " + std::string(what));
}

struct ScramKeys {
  std::array<std::uint8_t, 32> stored{}, server{};
};

Result<ScramKeys> scram_keys(const SecretString& password, std::span<const std::uint8_t> salt,
                             int iterations) {
  crypto::SecretBytes salted(32);
  const auto pw = password.reveal();
  if (PKCS5_PBKDF2_HMAC(pw.data(), static_cast<int>(pw.size()), salt.data(),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(), 32,
                        salted.data()) != 1) {
    return crypto_failure("SCRAM verifier");
  }
  auto client_key = crypto::hmac_sha256(salted, bytes_of("Client Key"));
  auto server_key = crypto::hmac_sha256(salted, bytes_of("Server Key"));
  if (!client_key || !server_key) return crypto_failure("SCRAM verifier");
  ScramKeys k;
  SHA256(client_key->data(), client_key->size(), k.stored.data());
  k.server = *server_key;
  return k;
}

}  // namespace

Result<std::string> make_scram_verifier(const SecretString& password, int iterations) {
  std::array<std::uint8_t, 16> salt{};
  DBV_RETURN_IF_ERROR(crypto::random_bytes(salt));
  auto k = scram_keys(password, salt, iterations);
  if (!k) return std::move(k).error();
  return "SCRAM-SHA-256$" + std::to_string(iterations) + ":" + base64(salt) + "$" +
         base64(k->stored) + ":" + base64(k->server);
}

Result<bool> verify_scram_password(const SecretString& password, std::string_view verifier) {
  const Error malformed = make_error(sqlstate::kInvalidParameterValue, "malformed SCRAM verifier");
  constexpr std::string_view kPrefix = "SCRAM-SHA-256$";
  if (!verifier.starts_with(kPrefix)) return malformed;
  verifier.remove_prefix(kPrefix.size());
  const auto colon1 = verifier.find(':');
  const auto dollar = verifier.find('$');
  const auto colon2 = verifier.rfind(':');
  if (colon1 == std::string_view::npos || dollar == std::string_view::npos || colon2 <= dollar ||
      colon1 >= dollar) {
    return malformed;
  }
  int iterations = 0;
  for (char c : verifier.substr(0, colon1)) {
    if (c < '0' || c > '9' || iterations > 10'000'000) return malformed;
    iterations = iterations * 10 + (c - '0');
  }
  auto salt = unbase64(verifier.substr(colon1 + 1, dollar - colon1 - 1));
  auto stored = unbase64(verifier.substr(dollar + 1, colon2 - dollar - 1));
  if (!salt || !stored || iterations < 1) return malformed;
  auto k = scram_keys(password, *salt, iterations);
  if (!k) return std::move(k).error();
  return crypto::equal_constant_time(k->stored, *stored);
}

Result<std::string> random_id(std::string_view prefix) {
  std::array<std::uint8_t, 12> raw{};
  DBV_RETURN_IF_ERROR(crypto::random_bytes(raw));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(prefix);
  for (std::uint8_t b : raw) {
    id += kHex[b >> 4];
    id += kHex[b & 15];
  }
  return id;
}

Result<SecretString> random_password() {
  auto key = crypto::random_key(18);
  if (!key) return std::move(key).error();
  std::string text = base64url(key->view());
  SecretString pw(text);
  wipe_string(text);
  return pw;
}

Result<TokenParts> parse_token(std::string_view token) {
  const Error invalid = make_error(sqlstate::kInvalidPassword, "invalid vault token");
  constexpr std::string_view kPrefix = "dbvt2.";  // version 1 tokens are no longer accepted
  if (!token.starts_with(kPrefix)) return invalid;
  token.remove_prefix(kPrefix.size());
  const auto dot = token.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == token.size() ||
      !token.substr(0, dot).starts_with("vt_")) {
    return invalid;
  }
  return TokenParts{std::string(token.substr(0, dot)), SecretString(token.substr(dot + 1))};
}

Result<TokenMac> TokenMac::create(const crypto::SecretBytes& root_key) {
  if (root_key.empty()) {
    return make_error(sqlstate::kInvalidParameterValue, "the vault token root key is empty");
  }
  auto key = crypto::derive_subkey(root_key, "dbvault vault-token v1");
  if (!key) return std::move(key).error();
  return TokenMac(std::move(key).value());
}

namespace {

constexpr std::string_view kTokenVersion = "dbvt2";

// What a token's MAC covers (not secret).
std::string token_message(std::string_view token_id, const TokenMac::Claims& c) {
  std::string msg(kTokenVersion);
  const std::string expires = std::to_string(c.expires_us);
  for (std::string_view part :
       {token_id, c.user, c.realm, std::string_view(expires), c.generation}) {
    msg += '\0';
    msg += part;
  }
  return msg;
}

// The 32 bytes of a base64url MAC (no padding: 43 characters), or nothing when it is not one.
// The 43rd character of a 32-byte MAC carries 4 bits and 2 padding bits, which must be zero:
// only the canonical spelling is accepted (else 'A'/'B', 'Q'/'R', ... at the end would
// spell the same MAC, and a token would have several valid texts).
bool canonical_last_char(char c) {
  const std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const auto v = alphabet.find(c);
  return v != std::string_view::npos && (v & 3) == 0;
}

std::optional<crypto::SecretBytes> decode_mac(std::string_view text) {
  if (text.size() != 43 || !canonical_last_char(text.back())) return std::nullopt;
  std::string padded(text);
  padded += '=';
  for (char& c : padded) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  auto raw = unbase64(padded);
  wipe_string(padded);
  if (!raw) return std::nullopt;
  auto out = raw->size() == 32 ? std::optional(crypto::SecretBytes::copy_of(*raw)) : std::nullopt;
  OPENSSL_cleanse(raw->data(), raw->size());
  return out;
}

}  // namespace

Result<SecretString> TokenMac::issue(std::string_view token_id, const Claims& claims) const {
  auto tag = crypto::hmac_sha256(key_, bytes_of(token_message(token_id, claims)));
  if (!tag) return std::move(tag).error();
  std::string text =
      std::string(kTokenVersion) + "." + std::string(token_id) + "." + base64url(*tag);
  OPENSSL_cleanse(tag->data(), tag->size());
  SecretString token(text);
  wipe_string(text);
  return token;
}

bool TokenMac::verify(const TokenParts& parts, const Claims& claims) const {
  const auto presented = decode_mac(parts.mac.reveal());
  return presented && crypto::verify_hmac_sha256(
                          key_, bytes_of(token_message(parts.token_id, claims)), presented->view());
}

}  // namespace dbvault::vault
