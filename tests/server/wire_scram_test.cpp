// The SCRAM-SHA-256 server: RFC 7677's example exchange byte for byte, full exchanges against an
// independent client written here on OpenSSL's primitives (not the server's code), channel
// binding and its downgrade, malformed messages, mock verifiers for unknown users.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <boost/test/unit_test.hpp>

#include "server/wire/scram.h"
#include "tests/server/wire_test_certs.h"
#include "tests/server/wire_test_util.h"

using namespace dbvault;
using namespace dbvault::server::wire;

namespace {

// RFC 7677 §3: user "user", password "pencil". The verifier's keys were computed from the
// RFC's salt and iteration count with Python's hashlib (pbkdf2_hmac, hmac, sha256).
constexpr std::string_view kRfcVerifier =
    "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";
constexpr std::string_view kRfcServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";

std::string b64(const unsigned char* p, std::size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  out.resize(static_cast<std::size_t>(
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), p, static_cast<int>(n))));
  return out;
}
std::string b64(std::string_view s) {
  return b64(reinterpret_cast<const unsigned char*>(s.data()), s.size());
}

// An RFC 5802 client on OpenSSL's primitives, independent of the server's implementation.
struct TestClient {
  std::string password;
  std::string nonce = "fyko+d2lbbFgONRv9qkxdawL";
  std::string gs2 = "n,,";
  std::string binding;  // channel-binding data appended to gs2 in c=
  std::string first_bare() const { return "n=ignored,r=" + nonce; }
  std::string first() const { return gs2 + first_bare(); }

  // The client-final-message for `server_first`; also remembers the expected "v=".
  std::string final_for(const std::string& server_first) {
    const auto s_at = server_first.find(",s="), i_at = server_first.find(",i=");
    const std::string salt_b64 = server_first.substr(s_at + 3, i_at - s_at - 3);
    const int iterations = std::stoi(server_first.substr(i_at + 3));
    unsigned char salt[64];
    const int salt_len =
        EVP_DecodeBlock(salt, reinterpret_cast<const unsigned char*>(salt_b64.data()),
                        static_cast<int>(salt_b64.size())) -
        static_cast<int>(std::count(salt_b64.begin(), salt_b64.end(), '='));
    unsigned char salted[32], client_key[32], server_key[32], stored[32], sig[32], proof[32];
    PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt, salt_len,
                      iterations, EVP_sha256(), 32, salted);
    unsigned int len = 32;
    HMAC(EVP_sha256(), salted, 32, reinterpret_cast<const unsigned char*>("Client Key"), 10,
         client_key, &len);
    HMAC(EVP_sha256(), salted, 32, reinterpret_cast<const unsigned char*>("Server Key"), 10,
         server_key, &len);
    SHA256(client_key, 32, stored);
    const std::string r = server_first.substr(2, s_at - 2);
    const std::string without_proof = "c=" + b64(gs2 + binding) + ",r=" + r;
    const std::string auth = first_bare() + "," + server_first + "," + without_proof;
    const auto* am = reinterpret_cast<const unsigned char*>(auth.data());
    HMAC(EVP_sha256(), stored, 32, am, auth.size(), sig, &len);
    for (int i = 0; i < 32; ++i) proof[i] = client_key[i] ^ sig[i];
    HMAC(EVP_sha256(), server_key, 32, am, auth.size(), sig, &len);
    expected_server_final = "v=" + b64(sig, 32);
    return without_proof + ",p=" + b64(proof, 32);
  }
  std::string expected_server_final;
};

// A verifier for `password`, made the way PostgreSQL makes them (salt 16 bytes).
std::string verifier_for(const std::string& password, int iterations = 4096) {
  const unsigned char salt[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  unsigned char salted[32], client_key[32], server_key[32], stored[32];
  unsigned int len = 32;
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt, 16, iterations,
                    EVP_sha256(), 32, salted);
  HMAC(EVP_sha256(), salted, 32, reinterpret_cast<const unsigned char*>("Client Key"), 10,
       client_key, &len);
  HMAC(EVP_sha256(), salted, 32, reinterpret_cast<const unsigned char*>("Server Key"), 10,
       server_key, &len);
  SHA256(client_key, 32, stored);
  return "SCRAM-SHA-256$" + std::to_string(iterations) + ":" + b64(salt, 16) + "$" +
         b64(stored, 32) + ":" + b64(server_key, 32);
}

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

// Runs a whole exchange; returns the server's final error, or "" on success.
std::string exchange(TestClient& client, std::string_view verifier, ScramOptions options,
                     std::string_view mechanism = kScramSha256) {
  auto server = ScramServer::create(verifier, std::move(options));
  BOOST_REQUIRE(server.ok());
  auto first = server->handle_client_first(mechanism, client.first());
  if (!first) return first.error().message;
  auto final = server->handle_client_final(client.final_for(*first));
  if (!final) {
    BOOST_TEST(final.error().code == sqlstate::kInvalidPassword);
    BOOST_TEST(!server->authenticated());
    return final.error().message;
  }
  BOOST_TEST(*final == client.expected_server_final);
  BOOST_TEST(server->authenticated());
  return "";
}

TestClient make_client(std::string password, std::string gs2 = "n,,", std::string binding = "") {
  TestClient c;
  c.password = std::move(password);
  c.gs2 = std::move(gs2);
  c.binding = std::move(binding);
  return c;
}

ScramOptions rfc_nonce() {
  ScramOptions o;
  o.fixed_server_nonce = std::string(kRfcServerNonce);
  return o;
}

ScramOptions doomed() {
  ScramOptions o;
  o.doomed = true;
  return o;
}

ScramOptions with_binding(std::string_view data) {
  ScramOptions o;
  o.channel_binding = bytes(data);
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wire_scram)

BOOST_AUTO_TEST_CASE(rfc7677_example_exchange) {
  auto server = ScramServer::create(kRfcVerifier, rfc_nonce());
  BOOST_REQUIRE(server.ok());
  auto first = server->handle_client_first(kScramSha256, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  BOOST_REQUIRE(first.ok());
  BOOST_TEST(
      *first ==
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
  BOOST_TEST(!server->authenticated());
  auto final = server->handle_client_final(
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
      "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  BOOST_REQUIRE(final.ok());
  BOOST_TEST(*final == "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  BOOST_TEST(server->authenticated());
}

BOOST_AUTO_TEST_CASE(rfc7677_exchange_with_one_proof_bit_flipped_fails) {
  auto server = ScramServer::create(kRfcVerifier, rfc_nonce());
  BOOST_REQUIRE(server->handle_client_first(kScramSha256, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO").ok());
  auto final = server->handle_client_final(
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
      "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVU=");
  BOOST_REQUIRE(!final.ok());
  BOOST_TEST(final.error().code == sqlstate::kInvalidPassword);
  BOOST_TEST(final.error().message == "password authentication failed");
  BOOST_TEST(!server->authenticated());
  // A failed exchange cannot be resumed.
  BOOST_TEST(!server->handle_client_final("c=biws").ok());
}

BOOST_AUTO_TEST_CASE(full_exchange_with_an_independent_client_and_a_random_nonce) {
  TestClient client = make_client("correct horse");
  BOOST_TEST(exchange(client, verifier_for("correct horse"), {}) == "");
  TestClient wrong = make_client("correct hors");
  BOOST_TEST(exchange(wrong, verifier_for("correct horse"), {}) ==
             "password authentication failed");
}

BOOST_AUTO_TEST_CASE(server_nonces_are_fresh_and_extend_the_client_nonce) {
  auto a = ScramServer::create(kRfcVerifier);
  auto b = ScramServer::create(kRfcVerifier);
  auto fa = a->handle_client_first(kScramSha256, "n,,n=,r=abc");
  auto fb = b->handle_client_first(kScramSha256, "n,,n=,r=abc");
  BOOST_REQUIRE((fa.ok() && fb.ok()));
  BOOST_TEST(fa->starts_with("r=abc"));
  BOOST_TEST(*fa != *fb);
  BOOST_TEST(fa->find(",s=") == 5u + 24u);  // 18 random bytes, base64
}

BOOST_AUTO_TEST_CASE(the_user_name_in_the_scram_message_is_ignored) {
  TestClient client = make_client("pw");  // sends n=ignored
  BOOST_TEST(exchange(client, verifier_for("pw"), {}) == "");
}

BOOST_AUTO_TEST_CASE(mechanisms_offered) {
  BOOST_TEST(ScramServer::mechanisms(false) == std::vector<std::string>{"SCRAM-SHA-256"});
  BOOST_TEST((ScramServer::mechanisms(true) ==
              std::vector<std::string>{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}));
}

BOOST_AUTO_TEST_CASE(channel_binding_tls_server_end_point) {
  const std::string cert_hash = "0123456789abcdef0123456789abcdef";
  TestClient bound = make_client("pw", "p=tls-server-end-point,,", cert_hash);
  BOOST_TEST(exchange(bound, verifier_for("pw"), with_binding(cert_hash), kScramSha256Plus) == "");
  // The client saw another certificate (a man in the middle): binding data differ by one byte.
  TestClient mitm =
      make_client("pw", "p=tls-server-end-point,,", "0123456789abcdef0123456789abcdeX");
  BOOST_TEST(exchange(mitm, verifier_for("pw"), with_binding(cert_hash), kScramSha256Plus) ==
             "SCRAM channel binding check failed");
  // A client that does not bind may still use the plain mechanism over TLS.
  TestClient plain = make_client("pw");
  BOOST_TEST(exchange(plain, verifier_for("pw"), with_binding(cert_hash)) == "");
}

BOOST_AUTO_TEST_CASE(channel_binding_negotiation_errors_and_the_downgrade) {
  const auto verifier = verifier_for("pw");
  struct Case {
    bool tls;
    std::string_view mechanism;
    std::string_view gs2;
    std::string_view message;
  } cases[] = {
      // 'y': the client could bind but was told we cannot: PLUS was stripped on the way.
      {true, kScramSha256, "y,,",
       "SCRAM channel binding negotiation error: the client supports channel binding but "
       "thinks the server does not, yet this server does"},
      {true, kScramSha256Plus, "n,,",
       "the client selected SCRAM-SHA-256-PLUS, but the SCRAM message does not include channel "
       "binding data"},
      {true, kScramSha256Plus, "y,,",
       "the client selected SCRAM-SHA-256-PLUS, but the SCRAM message does not include channel "
       "binding data"},
      {true, kScramSha256, "p=tls-server-end-point,,",
       "the client selected SCRAM-SHA-256 without channel binding, but the SCRAM message "
       "includes channel binding data"},
      {true, kScramSha256Plus, "p=tls-unique,,", "unsupported SCRAM channel-binding type"},
      {false, kScramSha256Plus, "p=tls-server-end-point,,",
       "client selected an invalid SASL authentication mechanism"},
      {true, "SCRAM-SHA-1", "n,,", "client selected an invalid SASL authentication mechanism"},
      {true, kScramSha256, "x,,", "malformed SCRAM message: invalid channel-binding flag"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_INFO(c.gs2 << " " << c.mechanism);
    TestClient client = make_client("pw", std::string(c.gs2));
    BOOST_TEST(exchange(client, verifier, c.tls ? with_binding("h") : ScramOptions{},
                        c.mechanism) == c.message);
  }
  // Without TLS, 'y' is an honest client: accepted.
  TestClient y = make_client("pw", "y,,");
  BOOST_TEST(exchange(y, verifier, {}) == "");
}

BOOST_AUTO_TEST_CASE(malformed_client_first_messages) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"n,a=admin,n=u,r=abc", "client uses authorization identity, but it is not supported"},
      {"n,,m=ext,n=u,r=abc", "client requires an unsupported SCRAM extension"},
      {"n,,r=abc", "malformed SCRAM message: expected user name"},
      {"n,,n=u", "malformed SCRAM message: invalid client nonce"},
      {"n,,n=u,r=", "malformed SCRAM message: invalid client nonce"},
      {"n,,n=u,r=a\x7f", "malformed SCRAM message: invalid client nonce"},
      {"n,,n=u,r=abc,=x", "malformed SCRAM message: invalid attribute"},
      {"", "malformed SCRAM message: invalid channel-binding flag"},
      {"n", "malformed SCRAM message: invalid channel-binding flag"},
  };
  for (const auto& [message, error] : cases) {
    BOOST_TEST_INFO(message);
    auto server = ScramServer::create(kRfcVerifier);
    auto r = server->handle_client_first(kScramSha256, message);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().code == sqlstate::kInvalidPassword);
    BOOST_TEST(r.error().message == error);
  }
}

BOOST_AUTO_TEST_CASE(an_incomplete_gs2_header_is_malformed) {
  auto server = ScramServer::create(kRfcVerifier, with_binding("h"));
  auto r = server->handle_client_first(kScramSha256Plus, "p=tls-server-end-point");
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().message == "malformed SCRAM message: incomplete GS2 header");
}

BOOST_AUTO_TEST_CASE(malformed_client_final_messages) {
  const std::string r = "r=abc" + std::string(kRfcServerNonce);
  const std::string proof = ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
  const std::pair<std::string, std::string_view> cases[] = {
      {"c=biws," + r, "malformed SCRAM message: missing proof"},
      {r + proof, "malformed SCRAM message: expected channel binding and nonce"},
      {"c=biws" + proof, "malformed SCRAM message: expected channel binding and nonce"},
      {"c=biws," + r + ",p=AAAA", "malformed SCRAM message: invalid base64"},
      {"c=bi ws," + r + proof, "malformed SCRAM message: invalid base64"},
      {"c=eSws," + r + proof, "SCRAM channel binding check failed"},  // "y,," after "n,,"
      {"c=biws,r=abc" + proof, "SCRAM nonce mismatch"},
      {"c=biws," + r + "x" + proof, "SCRAM nonce mismatch"},
  };
  for (const auto& [message, error] : cases) {
    BOOST_TEST_INFO(message);
    auto server = ScramServer::create(kRfcVerifier, rfc_nonce());
    BOOST_REQUIRE(server->handle_client_first(kScramSha256, "n,,n=,r=abc").ok());
    auto f = server->handle_client_final(message);
    BOOST_REQUIRE(!f.ok());
    BOOST_TEST(f.error().code == sqlstate::kInvalidPassword);
    BOOST_TEST(f.error().message == error);
  }
}

BOOST_AUTO_TEST_CASE(messages_out_of_order_are_refused) {
  auto server = ScramServer::create(kRfcVerifier);
  BOOST_TEST(server->handle_client_final("c=biws,r=x,p=y").error().message ==
             "unexpected SCRAM client-final-message");
  auto again = ScramServer::create(kRfcVerifier);
  BOOST_REQUIRE(again->handle_client_first(kScramSha256, "n,,n=,r=abc").ok());
  BOOST_TEST(again->handle_client_first(kScramSha256, "n,,n=,r=abc").error().message ==
             "unexpected SCRAM client-first-message");
}

BOOST_AUTO_TEST_CASE(mock_verifiers_for_unknown_users) {
  const auto secret = crypto::SecretBytes::copy_of(bytes("server secret for mock verifiers"));
  const auto other_secret = crypto::SecretBytes::copy_of(bytes("another server secret"));
  auto alice = mock_scram_verifier("alice", secret);
  BOOST_REQUIRE(alice.ok());
  BOOST_TEST(*alice == *mock_scram_verifier("alice", secret));  // the same salt every attempt
  BOOST_TEST(*alice != *mock_scram_verifier("bob", secret));
  BOOST_TEST(*alice != *mock_scram_verifier("alice", other_secret));
  BOOST_TEST(alice->starts_with("SCRAM-SHA-256$4096:"));
  BOOST_TEST(parse_scram_verifier(*alice).ok());
  BOOST_TEST(mock_scram_verifier("alice", crypto::SecretBytes()).error().code ==
             sqlstate::kInvalidParameterValue);
  // An unknown user fails exactly like a known user with a wrong password.
  TestClient guess = make_client("pencil");
  const std::string unknown = exchange(guess, *alice, doomed());
  TestClient wrong = make_client("pencil");
  const std::string known = exchange(wrong, verifier_for("not pencil"), {});
  BOOST_TEST(unknown == known);
  BOOST_TEST(unknown == "password authentication failed");
}

BOOST_AUTO_TEST_CASE(a_doomed_exchange_fails_even_with_the_right_password) {
  TestClient client = make_client("pw");
  BOOST_TEST(exchange(client, verifier_for("pw"), doomed()) == "password authentication failed");
}

BOOST_AUTO_TEST_CASE(stored_verifiers_are_parsed_strictly) {
  auto v = parse_scram_verifier(kRfcVerifier);
  BOOST_REQUIRE(v.ok());
  BOOST_TEST(v->iterations == 4096);
  BOOST_TEST(v->salt.size() == 16u);
  BOOST_TEST(v->server_key.size() == 32u);
  for (std::string_view bad :
       {"", "md5abc", "SCRAM-SHA-256$", "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==",
        "SCRAM-SHA-256$0:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
        "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
        "SCRAM-SHA-256$4096:$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
        "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
        "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4q==:"
        "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
        "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
        "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU"}) {
    BOOST_TEST_INFO(bad);
    BOOST_TEST(parse_scram_verifier(bad).error().code == sqlstate::kSystemError);
    BOOST_TEST(!ScramServer::create(bad).ok());
  }
}

BOOST_AUTO_TEST_CASE(tls_server_end_point_of_certificates) {
  using namespace dbvault::server::wire::test;
  const auto hex_of = [](const std::vector<std::uint8_t>& v) {
    return to_hex(std::string_view(reinterpret_cast<const char*>(v.data()), v.size()));
  };
  const auto der384 = from_hex(kCert_sha384_hex);
  auto h384 = tls_server_end_point(bytes(der384));
  BOOST_REQUIRE(h384.ok());
  BOOST_TEST(hex_of(*h384) == to_hex(from_hex(kCert_sha384_binding)));
  const auto der1 = from_hex(kCert_sha1_hex);
  auto h1 = tls_server_end_point(bytes(der1));
  BOOST_REQUIRE(h1.ok());
  BOOST_TEST(hex_of(*h1) == to_hex(from_hex(kCert_sha1_binding)));  // SHA-256, not SHA-1
  // Ed25519 signs without a separate hash: no tls-server-end-point binding exists.
  BOOST_TEST(tls_server_end_point(bytes(from_hex(kCert_ed_hex))).error().code ==
             sqlstate::kSystemError);
  BOOST_TEST(!tls_server_end_point(bytes("not a certificate")).ok());
  BOOST_TEST(!tls_server_end_point(bytes(der384 + "x")).ok());  // trailing bytes
}

BOOST_AUTO_TEST_SUITE_END()
