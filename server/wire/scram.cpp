#include "server/wire/scram.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/secret_string.h"
#include "crypto/mac.h"
#include "crypto/random.h"
#include "server/wire/base64.h"

namespace dbvault::server::wire {

namespace {

constexpr std::string_view kBindingType = "tls-server-end-point";
constexpr std::size_t kServerNonceBytes = 18;

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Splits "a=1,b=2" one attribute at a time; `rest` shrinks as attributes are taken.
struct Attribute {
  char name = 0;
  std::string_view value;
};
std::optional<Attribute> take_attribute(std::string_view& rest) {
  if (rest.size() < 2 || rest[1] != '=') return std::nullopt;
  const char name = rest[0];
  if (!((name >= 'a' && name <= 'z') || (name >= 'A' && name <= 'Z'))) return std::nullopt;
  const auto comma = rest.find(',');
  Attribute a{name, rest.substr(2, comma == std::string_view::npos ? rest.npos : comma - 2)};
  rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  return a;
}

// RFC 5802: printable ASCII except ','.
bool valid_nonce(std::string_view nonce) {
  if (nonce.empty()) return false;
  for (char c : nonce) {
    if (c < 0x21 || c > 0x7E || c == ',') return false;
  }
  return true;
}

Result<std::string> server_nonce(const ScramOptions& options) {
  if (!options.fixed_server_nonce.empty()) return options.fixed_server_nonce;
  std::array<std::uint8_t, kServerNonceBytes> raw{};
  DBV_RETURN_IF_ERROR(crypto::random_bytes(raw));
  return internal::base64_encode(raw);
}

// SHA-256 of `data`. crypto/ offers HMAC but no plain digest; SCRAM needs H(ClientKey).
std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> data) {
  std::array<std::uint8_t, 32> out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1) {
    out.fill(0);  // compares unequal to any real StoredKey: the exchange fails
  }
  return out;
}

}  // namespace

std::vector<std::string> ScramServer::mechanisms(bool channel_binding_available) {
  if (channel_binding_available) return {std::string(kScramSha256Plus), std::string(kScramSha256)};
  return {std::string(kScramSha256)};
}

Result<ScramServer> ScramServer::create(std::string_view verifier, ScramOptions options) {
  auto v = parse_scram_verifier(verifier);
  if (!v) return std::move(v).error();
  return ScramServer(std::move(v).value(), std::move(options));
}

Error ScramServer::fail(std::string message) {
  state_ = State::kFailed;
  return make_error(sqlstate::kInvalidPassword, std::move(message));
}

Result<std::string> ScramServer::handle_client_first(std::string_view mechanism,
                                                     std::string_view message) {
  if (state_ != State::kInitial) return fail("unexpected SCRAM client-first-message");
  const bool plus = mechanism == kScramSha256Plus;
  if (!(plus && options_.channel_binding) && mechanism != kScramSha256) {
    return fail("client selected an invalid SASL authentication mechanism");
  }
  std::string_view rest = message;
  // GS2 header: the channel-binding flag, then an (unsupported) authzid.
  const auto flag = take_attribute(rest);
  if (message.starts_with("n,") || message.starts_with("y,")) {
    if (plus) {
      return fail(
          "the client selected SCRAM-SHA-256-PLUS, but the SCRAM message does not "
          "include channel binding data");
    }
    // 'y': the client could bind but believes we cannot. If we offered PLUS, someone removed
    // it from the list on the way: a downgrade.
    if (message[0] == 'y' && options_.channel_binding) {
      return fail(
          "SCRAM channel binding negotiation error: the client supports channel "
          "binding but thinks the server does not, yet this server does");
    }
    rest = message.substr(2);
  } else if (flag && flag->name == 'p') {
    if (!plus) {
      return fail(
          "the client selected SCRAM-SHA-256 without channel binding, but the SCRAM "
          "message includes channel binding data");
    }
    if (flag->value != kBindingType) return fail("unsupported SCRAM channel-binding type");
  } else {
    return fail("malformed SCRAM message: invalid channel-binding flag");
  }
  if (rest.empty()) return fail("malformed SCRAM message: incomplete GS2 header");
  if (!rest.starts_with(",")) {
    return fail("client uses authorization identity, but it is not supported");
  }
  rest.remove_prefix(1);
  gs2_header_ = std::string(message.substr(0, message.size() - rest.size()));
  client_first_bare_ = std::string(rest);

  // client-first-message-bare: [m=...,] n=user,r=nonce[,extensions]
  auto user = take_attribute(rest);
  if (user && user->name == 'm') return fail("client requires an unsupported SCRAM extension");
  if (!user || user->name != 'n') return fail("malformed SCRAM message: expected user name");
  auto nonce = take_attribute(rest);
  if (!nonce || nonce->name != 'r' || !valid_nonce(nonce->value)) {
    return fail("malformed SCRAM message: invalid client nonce");
  }
  while (!rest.empty()) {
    if (!take_attribute(rest)) return fail("malformed SCRAM message: invalid attribute");
  }
  auto ours = server_nonce(options_);
  if (!ours) return fail("cannot generate a SCRAM nonce");
  if (!valid_nonce(*ours)) return fail("invalid server nonce");
  nonce_ = std::string(nonce->value) + *ours;
  server_first_ = "r=" + nonce_ + ",s=" + internal::base64_encode(verifier_.salt) +
                  ",i=" + std::to_string(verifier_.iterations);
  state_ = State::kFirstSent;
  return server_first_;
}

Result<std::string> ScramServer::handle_client_final(std::string_view message) {
  if (state_ != State::kFirstSent) return fail("unexpected SCRAM client-final-message");
  // c=<gs2 header and binding data>,r=<nonce>[,extensions],p=<proof>; the proof comes last.
  const auto proof_at = message.rfind(",p=");
  if (proof_at == std::string_view::npos) return fail("malformed SCRAM message: missing proof");
  const std::string_view without_proof = message.substr(0, proof_at);
  std::string_view rest = without_proof;
  auto binding = take_attribute(rest);
  auto nonce = take_attribute(rest);
  if (!binding || binding->name != 'c' || !nonce || nonce->name != 'r') {
    return fail("malformed SCRAM message: expected channel binding and nonce");
  }
  while (!rest.empty()) {
    if (!take_attribute(rest)) return fail("malformed SCRAM message: invalid attribute");
  }
  auto cbind = internal::base64_decode(binding->value);
  auto proof = internal::base64_decode(message.substr(proof_at + 3));
  if (!cbind || !proof || proof->size() != 32) {
    return fail("malformed SCRAM message: invalid base64");
  }
  std::string expected = gs2_header_;
  if (gs2_header_.starts_with("p=")) {
    expected.append(options_.channel_binding->begin(), options_.channel_binding->end());
  }
  if (!crypto::equal_constant_time(*cbind, bytes_of(expected))) {
    return fail("SCRAM channel binding check failed");
  }
  if (!constant_time_equal(nonce->value, nonce_)) return fail("SCRAM nonce mismatch");

  const std::string auth_message =
      client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
  const auto stored = crypto::SecretBytes::copy_of(verifier_.stored_key);
  auto client_signature = crypto::hmac_sha256(stored, bytes_of(auth_message));
  auto server_signature = crypto::hmac_sha256(verifier_.server_key, bytes_of(auth_message));
  if (!client_signature || !server_signature) return fail("cannot compute the SCRAM proof");
  // ClientKey = ClientProof XOR ClientSignature; it must hash to StoredKey.
  crypto::SecretBytes client_key(32);
  for (std::size_t i = 0; i < 32; ++i) client_key.data()[i] = (*proof)[i] ^ (*client_signature)[i];
  OPENSSL_cleanse(client_signature->data(), client_signature->size());
  const auto hashed = sha256(client_key.view());
  const bool match = crypto::equal_constant_time(hashed, verifier_.stored_key);
  if (!match || options_.doomed) return fail("password authentication failed");
  state_ = State::kDone;
  return "v=" + internal::base64_encode(*server_signature);
}

}  // namespace dbvault::server::wire
