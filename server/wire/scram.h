// SCRAM-SHA-256 (RFC 5802, RFC 7677) on the server side, as PostgreSQL implements it, with
// channel binding "tls-server-end-point" (RFC 5929) for SCRAM-SHA-256-PLUS. A pure state
// machine: the caller moves messages between it and the wire (AuthenticationSASL,
// SASLInitialResponse, AuthenticationSASLContinue, SASLResponse, AuthenticationSASLFinal).
//
//   ScramServer s = *ScramServer::create(verifier, {.channel_binding = cert_hash});
//   send AuthenticationSASL(ScramServer::mechanisms(tls))
//   auto first = s.handle_client_first(initial.mechanism, *initial.client_data);  // server-first
//   auto final = s.handle_client_final(response);  // server-final: then AuthenticationOk
//
// Every failure is 28P01 invalid_password, with a message that never depends on whether
// the user exists (see mock_scram_verifier); after a failure the object is failed for good.
// The user name inside the SCRAM message is ignored (PostgreSQL uses the startup user).
// Thread-safety: one object per authentication attempt, not synchronized.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "crypto/secret_bytes.h"

namespace dbvault::server::wire {

inline constexpr std::string_view kScramSha256 = "SCRAM-SHA-256";
inline constexpr std::string_view kScramSha256Plus = "SCRAM-SHA-256-PLUS";

// A stored verifier "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>" (base64).
struct ScramVerifier {
  int iterations = 0;
  std::vector<std::uint8_t> salt;
  std::array<std::uint8_t, 32> stored_key{};
  crypto::SecretBytes server_key;  // 32 bytes
};
// 58000 system_error "malformed SCRAM verifier" (it comes from our own store).
Result<ScramVerifier> parse_scram_verifier(std::string_view text);

// A verifier for a user that does not exist (or has no password), deterministic in
// (user, server_secret), so that a probing client sees the same salt for the same name on
// every attempt and the same work and messages as for a real user. No password matches it.
// REQUIRES: !server_secret.empty() (else 22023).
Result<std::string> mock_scram_verifier(std::string_view user,
                                        const crypto::SecretBytes& server_secret,
                                        int iterations = 4096);

// The tls-server-end-point channel-binding data of a DER certificate (RFC 5929 §4.1): its hash
// with the certificate's signature hash, SHA-256 when that is MD5 or SHA-1. 58000 when the
// certificate cannot be parsed or its signature hash is unknown (e.g. Ed25519: no binding).
Result<std::vector<std::uint8_t>> tls_server_end_point(std::span<const std::uint8_t> cert_der);

struct ScramOptions {
  // tls-server-end-point data of the server certificate when the connection uses TLS and
  // channel binding is offered (mechanisms() then lists SCRAM-SHA-256-PLUS); nullopt without.
  std::optional<std::vector<std::uint8_t>> channel_binding;
  // Fail the exchange whatever the proof (a mock verifier, a user who may not log in), after
  // doing all the same work.
  bool doomed = false;
  // Tests only: the server's part of the nonce. Empty = 18 bytes from the CSPRNG, base64.
  std::string fixed_server_nonce;
};

class ScramServer {
 public:
  // The mechanisms to offer in AuthenticationSASL, preferred first.
  static std::vector<std::string> mechanisms(bool channel_binding_available);

  // 58000 when the verifier is malformed (the caller then uses a mock verifier with doomed).
  static Result<ScramServer> create(std::string_view verifier, ScramOptions options = {});

  // The SASLInitialResponse's mechanism and data; returns the server-first-message.
  // Refuses: a mechanism not offered, GS2 'y' when PLUS was offered (a downgrade), 'p=' with
  // the plain mechanism or with another binding type, 'n'/'y' with PLUS, an authzid, a
  // mandatory extension, a malformed message.
  Result<std::string> handle_client_first(std::string_view mechanism, std::string_view message);

  // The SASLResponse; returns the server-final-message ("v=..."). Checks the channel binding
  // and the ClientProof in constant time.
  Result<std::string> handle_client_final(std::string_view message);

  // True once handle_client_final succeeded.
  bool authenticated() const { return state_ == State::kDone; }

 private:
  enum class State { kInitial, kFirstSent, kDone, kFailed };
  ScramServer(ScramVerifier verifier, ScramOptions options)
      : verifier_(std::move(verifier)), options_(std::move(options)) {}
  Error fail(std::string message);

  ScramVerifier verifier_;
  ScramOptions options_;
  State state_ = State::kInitial;
  std::string gs2_header_;         // "n,,", "y,," or "p=tls-server-end-point,,"
  std::string client_first_bare_;  // for the AuthMessage
  std::string server_first_;
  std::string nonce_;  // client nonce + server nonce
};

}  // namespace dbvault::server::wire
